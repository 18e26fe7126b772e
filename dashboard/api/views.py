"""REST endpoints: small classes that authorise through services and return 204/200 or a JSON error."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import listing, runtime, services, sessions
from ..access import Actor
from ..actions import ACTIONS, Action, Param
from ..auditlog import filtered_entries
from ..workflows.monitor import MODES

SERVER_PARAM = OpenApiParameter("server", str, description="Asterisk server name; optional with one server")

_FIELD = {
    "int": lambda p: serializers.IntegerField(required=p.required, min_value=p.minimum, help_text=p.help),
    "bool": lambda p: serializers.BooleanField(required=p.required, help_text=p.help),
    "choice": lambda p: serializers.ChoiceField(choices=p.choices, required=p.required, help_text=p.help),
    "variables": lambda p: serializers.DictField(child=serializers.CharField(), required=p.required, help_text=p.help),
}


def _field(param: Param):
    make = _FIELD.get(param.type)
    return make(param) if make else serializers.CharField(required=param.required, help_text=param.help)


def _request_serializer(action: Action):
    """An OpenAPI description of the action's body; the values are checked by services.build_kwargs."""
    return inline_serializer(f"{''.join(w.title() for w in action.name.split('_'))}Request",
                             {p.name: _field(p) for p in action.params})


def _actor(request) -> Actor:
    return Actor(request.user)


def _payload(request) -> dict:
    data = request.data if isinstance(request.data, dict) else {}
    if request.method == "GET":
        data = {k: v for k, v in request.query_params.items()}
    return dict(data)


def _respond(result) -> Response:
    return Response(status=204) if result is None else Response(result)


class ChannelsRootApi(APIView):
    """GET lists the visible channels; POST originates a new one."""

    @extend_schema(parameters=[
        OpenApiParameter("text", str), OpenApiParameter("state", str), OpenApiParameter("in_app", bool),
        SERVER_PARAM, OpenApiParameter("min_age", int, description="seconds"),
        OpenApiParameter("max_age", int, description="seconds"), OpenApiParameter("sort", str),
        OpenApiParameter("offset", int), OpenApiParameter("limit", int)],
        operation_id="channels_list", responses={200: dict})
    def get(self, request):
        return Response(listing.list_channels(_actor(request), request.query_params))

    @extend_schema(operation_id="channels_originate", summary="Originate", parameters=[SERVER_PARAM],
                   request=_request_serializer(ACTIONS["originate"]), responses={200: dict})
    def post(self, request):
        params = _payload(request)
        server = request.query_params.get("server") or params.pop("server", None)
        return _respond(services.perform(_actor(request), "originate", server=server, params=params, source="api"))


class ChannelDetailApi(APIView):
    @extend_schema(operation_id="channels_get", parameters=[SERVER_PARAM], responses={200: dict})
    def get(self, request, channel_id: str):
        return Response(listing.channel_detail(_actor(request), request.query_params.get("server"), channel_id))


def _channel_action_view(action: Action, operation_id: str = "") -> type[APIView]:
    def handle(self, request, channel_id: str):
        params = _payload(request)
        server = request.query_params.get("server") or params.pop("server", None)
        return _respond(services.perform(_actor(request), action.name, server=server, channel_id=channel_id,
                                         params=params, source="api"))

    schema = extend_schema(
        operation_id=operation_id or f"channels_{action.name}", summary=action.label, parameters=[SERVER_PARAM]
        + ([OpenApiParameter(p.name, str, required=p.required, description=p.help) for p in action.params]
           if action.method == "GET" else []),
        request=None if action.method == "GET" else _request_serializer(action), responses={200: dict, 204: None})
    attrs = {action.method.lower(): schema(handle), "__doc__": f"{action.label} ({action.permission})."}
    return type(f"Channel{''.join(w.title() for w in action.name.split('_'))}Api", (APIView,), attrs)


def _create_view(action: Action) -> type[APIView]:
    def post(self, request):
        params = _payload(request)
        server = request.query_params.get("server") or params.pop("server", None)
        return _respond(services.perform(_actor(request), action.name, server=server, params=params, source="api"))

    schema = extend_schema(operation_id=f"channels_{action.name}", summary=action.label, parameters=[SERVER_PARAM],
                           request=_request_serializer(action), responses={200: dict})
    return type(f"Channel{''.join(w.title() for w in action.name.split('_'))}Api", (APIView,),
                {"post": schema(post), "__doc__": f"{action.label} ({action.permission})."})


CHANNEL_ACTION_VIEWS = {name: _channel_action_view(a) for name, a in ACTIONS.items() if a.on_channel}
# /variable reads a variable too: a view of its own, so that each path has its own operationId.
VARIABLE_VIEW = _channel_action_view(ACTIONS["get_channel_var"], operation_id="channels_variable")
CREATE_VIEWS = {name: _create_view(a) for name, a in ACTIONS.items() if not a.on_channel and name != "originate"}


class ClickToCallApi(APIView):
    """Ring the user's own phone, then the destination; returns the session that shows its progress."""

    @extend_schema(request=inline_serializer("ClickToCallRequest", {"destination": serializers.CharField()}),
                   responses={200: dict})
    def post(self, request):
        return Response(sessions.click_to_call(_actor(request), str(_payload(request).get("destination", ""))))


class MonitorApi(APIView):
    """Listen to (or whisper into, or barge in on) a call from the supervisor's own phone."""

    @extend_schema(request=inline_serializer("MonitorRequest", {
        "channel": serializers.CharField(), "server": serializers.CharField(required=False),
        "mode": serializers.ChoiceField(choices=MODES, default="listen")}), responses={200: dict})
    def post(self, request):
        data = _payload(request)
        return Response(sessions.monitor_start(_actor(request), server=data.get("server"),
                                               channel_id=str(data.get("channel", "")),
                                               mode=str(data.get("mode") or "listen")))


class SessionsApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        rt = runtime.get()
        return Response({"results": sessions.visible_sessions(_actor(request), rt.replica.sessions.values())})


class SessionModeApi(APIView):
    @extend_schema(request=inline_serializer("SessionModeRequest", {"mode": serializers.ChoiceField(choices=MODES)}),
                   responses={200: dict})
    def post(self, request, session_id: str):
        return Response(sessions.session_mode(_actor(request), session_id, str(_payload(request).get("mode", ""))))


class SessionStopApi(APIView):
    @extend_schema(request=None, responses={200: dict})
    def post(self, request, session_id: str):
        return Response(sessions.session_stop(_actor(request), session_id))


class MeApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        actor = _actor(request)
        return Response({"username": actor.username, "roles": actor.roles, "endpoint": actor.endpoint,
                         "allowed": actor.allowed_map()})


class AuditApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("q", str), OpenApiParameter("action", str),
                               OpenApiParameter("outcome", str), OpenApiParameter("user", str),
                               OpenApiParameter("limit", int)], responses={200: dict})
    def get(self, request):
        entries, _ = filtered_entries(_actor(request), request.query_params)
        limit = max(1, min(int(request.query_params.get("limit") or 100), 1000))
        fields = ("id", "at", "username", "action", "server", "channel_id", "channel_name", "params", "outcome",
                  "status", "message", "source")
        return Response({"results": list(entries.values(*fields)[:limit])})

