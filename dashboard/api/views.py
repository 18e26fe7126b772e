"""REST endpoints: small classes that authorise through services and return 204/200 or a JSON error."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ari_bridge.validation import MAX_ID_LENGTH

from .. import inputs, listing, runtime, services, sessions
from ..access import Actor
from ..actions import ACTIONS, Action, Param
from ..auditlog import AuditApiQuery, filtered_entries
from ..inputs import MAX_SERVER_NAME, ChoiceField, TextField
from ..workflows.monitor import MODES
from .asyncview import AsyncApiView

SERVER_PARAM = OpenApiParameter("server", str, description="Asterisk server name; optional with one server")


def _field(param: Param, **kwargs):
    """The serializer field that describes a parameter (in the OpenAPI schema); services.perform checks it."""
    kwargs.update(required=param.required, help_text=param.help)
    if param.type == "int":
        return serializers.IntegerField(min_value=param.minimum, max_value=param.maximum, **kwargs)
    if param.type == "bool":
        return serializers.BooleanField(**kwargs)
    if param.type == "choice":
        return serializers.ChoiceField(choices=param.choices, **kwargs)
    if param.type == "variables":
        return serializers.DictField(child=serializers.CharField(), **kwargs)
    return serializers.CharField(max_length=param.max_length, **kwargs)


def _name(action: Action) -> str:
    return "".join(w.title() for w in action.name.split("_"))


def _request_serializer(action: Action):
    return inline_serializer(f"{_name(action)}Request", {p.name: _field(p) for p in action.params})


def _actor(request) -> Actor:
    return Actor(request.user)


def _respond(result) -> Response:
    return Response(status=204) if result is None else Response(result)


async def _perform(request, action: Action, channel_id: str | None = None) -> Response:
    return _respond(await services.aperform(request.actor, action.name, server=inputs.server_param(request),
                                            channel_id=channel_id, params=inputs.action_params(request),
                                            source="api"))


class ChannelsRootApi(AsyncApiView):
    """GET lists the visible channels; POST originates a new one."""

    audit_action = "originate"  # what a POST whose body cannot be read is audited as (api.errors)

    @extend_schema(operation_id="channels_list", parameters=[listing.ChannelQuery], responses={200: dict})
    async def get(self, request):
        return Response(listing.list_channels(request.actor, inputs.query(listing.ChannelQuery,
                                                                          request.query_params)))

    @extend_schema(operation_id="channels_originate", summary="Originate", parameters=[SERVER_PARAM],
                   request=_request_serializer(ACTIONS["originate"]), responses={200: dict})
    async def post(self, request):
        return await _perform(request, ACTIONS["originate"])


class ChannelDetailApi(APIView):
    @extend_schema(operation_id="channels_detail", parameters=[SERVER_PARAM], responses={200: dict})
    def get(self, request, channel_id: str):
        return Response(listing.channel_detail(_actor(request), inputs.server_param(request), channel_id))


def _channel_action_view(action: Action, path: str = "") -> type[APIView]:
    async def handle(self, request, channel_id: str):
        return await _perform(request, action, channel_id)

    schema = extend_schema(
        operation_id=f"channels_{path or action.name}", summary=action.label, parameters=[SERVER_PARAM]
        + ([OpenApiParameter(p.name, str, required=p.required, description=p.help) for p in action.params]
           if action.method == "GET" else []),
        request=None if action.method == "GET" else _request_serializer(action), responses={200: dict, 204: None})
    attrs = {action.method.lower(): schema(handle), "__doc__": f"{action.label} ({action.permission}).",
             "audit_action": action.name}
    return type(f"Channel{_name(action)}Api", (AsyncApiView,), attrs)


def _create_view(action: Action) -> type[APIView]:
    async def post(self, request):
        return await _perform(request, action)

    schema = extend_schema(operation_id=f"channels_{action.name}", summary=action.label, parameters=[SERVER_PARAM],
                           request=_request_serializer(action), responses={200: dict})
    return type(f"Channel{_name(action)}Api", (AsyncApiView,), {"post": schema(post), "audit_action": action.name,
                                                           "__doc__": f"{action.label} ({action.permission})."})


CHANNEL_ACTION_VIEWS = {name: _channel_action_view(a) for name, a in ACTIONS.items() if a.on_channel}
# GET .../variable is get_channel_var under the spec's path: a view of its own, for an operation id of its own.
VARIABLE_VIEW = _channel_action_view(ACTIONS["get_channel_var"], "variable")
CREATE_VIEWS = {name: _create_view(a) for name, a in ACTIONS.items() if not a.on_channel and name != "originate"}
# A destination as people type it ("+44 (20) 7946-0018", "tel:..."): sessions' dial plan checks the rest.
MAX_DESTINATION = 64


class ClickToCallRequest(serializers.Serializer):
    destination = TextField(max_length=MAX_DESTINATION, allow_blank=True)


class MonitorRequest(serializers.Serializer):
    channel = TextField(max_length=MAX_ID_LENGTH, allow_blank=True, help_text="the call's channel id")
    server = TextField(required=False, allow_null=True, allow_blank=True, max_length=MAX_SERVER_NAME)
    mode = ChoiceField(choices=MODES, default="listen")


class SessionModeRequest(serializers.Serializer):
    mode = ChoiceField(choices=MODES)


class NoBody(serializers.Serializer):
    """An empty JSON object (or no body at all)."""


class ClickToCallApi(APIView):
    """Ring the user's own phone, then the destination; returns the session that shows its progress."""

    audit_action = "click_to_call"

    @extend_schema(request=ClickToCallRequest, responses={200: dict})
    def post(self, request):
        actor = _actor(request)
        data = inputs.body(request, ClickToCallRequest, actor, "click_to_call")
        return Response(sessions.click_to_call(actor, data["destination"]))


class MonitorApi(APIView):
    """Listen to (or whisper into, or barge in on) a call from the supervisor's own phone."""

    audit_action = "monitor.start"

    @extend_schema(request=MonitorRequest, responses={200: dict})
    def post(self, request):
        actor = _actor(request)
        data = inputs.body(request, MonitorRequest, actor, "monitor.start")
        return Response(sessions.monitor_start(actor, server=data.get("server"), channel_id=data["channel"],
                                               mode=data["mode"]))


class SessionsApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        rt = runtime.get()
        return Response({"results": sessions.visible_sessions(_actor(request), rt.replica.sessions.values())})


class SessionModeApi(APIView):
    audit_action = "monitor.mode"

    @extend_schema(request=SessionModeRequest, responses={200: dict})
    def post(self, request, session_id: str):
        actor = _actor(request)
        data = inputs.body(request, SessionModeRequest, actor, "monitor.mode",
                           params={"session": session_id})
        return Response(sessions.session_mode(actor, session_id, data["mode"]))


class SessionStopApi(APIView):
    audit_action = "session.stop"

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, session_id: str):
        actor = _actor(request)
        inputs.body(request, NoBody, actor, "session.stop", params={"session": session_id})
        return Response(sessions.session_stop(actor, session_id))


class MeApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        actor = _actor(request)
        return Response({"username": actor.username, "roles": actor.roles, "endpoint": actor.endpoint,
                         "allowed": actor.allowed_map()})


class AuditApi(APIView):
    @extend_schema(parameters=[AuditApiQuery], responses={200: dict})
    def get(self, request):
        filters = inputs.query(AuditApiQuery, request.query_params)
        entries = filtered_entries(_actor(request), filters)
        fields = ("id", "at", "username", "action", "server", "channel_id", "channel_name", "params", "outcome",
                  "status", "message", "source")
        return Response({"results": list(entries.values(*fields)[:filters["limit"]])})

