"""Reading what a request sends: query strings through serializers (each parameter given once), bodies as one
JSON object. A refusal is an ActionError that names the parameter and quotes no more than a short prefix."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions, parsers, serializers

from ari_bridge import preview

from .access import Actor
from .services import ActionError, refused

# The longest free text a filter takes (a search, a user name): longer ones would find nothing anyway.
MAX_FILTER_TEXT = 200
MAX_SERVER_NAME = 64


class JSONParser(parsers.JSONParser):
    """DRF's, but JSON nested deeper than Python recurses is a parse error, not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("the JSON is nested too deeply") from None


class LengthRequired(exceptions.APIException):
    """A body sent in chunks, without Content-Length: DRF would read it as no body at all (and the action
    would run with its defaults), and Django could not check its size first."""

    status_code = 411


def _body_data(request) -> Any:
    """DRF's request.data, once the body is known to have a length."""
    if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
        raise LengthRequired()
    return request.data


def first_error(detail: Any, parameter: str | None = None) -> tuple[str | None, str]:
    """The first (parameter, message) in a DRF ValidationError's detail, however deeply nested."""
    if isinstance(detail, Mapping) and detail:
        key, value = next(iter(detail.items()))
        return first_error(value, parameter if key == "non_field_errors" else parameter or str(key))
    if isinstance(detail, list) and detail:
        return first_error(detail[0], parameter)
    return parameter, str(detail)


def invalid(detail: Any) -> ActionError:
    parameter, message = first_error(detail)
    return ActionError(400, f"{parameter}: {message}" if parameter else message, "invalid", parameter)


class QuerySerializer(serializers.Serializer):
    """A query string's parameters. Each may be given once (which of two would count is anyone's guess);
    an empty (or blank) one counts as not given, as a form sends its empty fields."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            repeated = [name for name in self.fields if len(data.getlist(name)) > 1]
            if repeated:
                raise serializers.ValidationError({repeated[0]: "is given more than once"})
            data = {name: value for name, value in data.items() if value.strip()}
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    """DRF's, but its refusal quotes a short prefix of the value, not all of it."""

    default_error_messages = {"invalid_choice": "must be one of {choices}, not {input}"}

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, (str, int)) and not isinstance(data, bool) and str(data) in self.choice_strings_to_values:
            return self.choice_strings_to_values[str(data)]
        self.fail("invalid_choice", input=preview(data), choices=", ".join(self.choice_strings_to_values))


class TextField(serializers.CharField):
    """A JSON string: DRF's CharField would also take 7 as "7"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryBooleanField(serializers.BooleanField):
    """true or false in a query string: not yes, on or 1 (a typo should not read as a choice)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.lower() in ("true", "false"):
            return data.lower() == "true"
        self.fail("invalid")


class JsonBooleanField(serializers.BooleanField):
    """A JSON true or false, nothing that merely looks like one."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


def server_param(request):
    """The server named in the query string; given twice, both (which services.resolve_server refuses)."""
    names = request.query_params.getlist("server")
    return names[0] if len(names) == 1 else names or None


def query(serializer_class: type[serializers.Serializer], data: Mapping) -> dict:
    """The validated query parameters, or a 400 naming the first bad one."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise invalid(serializer.errors)
    return dict(serializer.validated_data)


def unreadable(exc: Exception) -> ActionError | None:
    """A request that could not be read (too large, too many fields, chunked, not JSON) as the API answers it; else
    None. DRF reads the body as late as it can (in the CSRF check of a session, in the view for a token), so
    api.errors.exception_handler makes these answers (and audits them)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return ActionError(413, f"the request is too large: at most {limit // 1024} KiB", "too_large")
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return ActionError(400, f"the request has too many fields: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}",
                           "too_many_fields")
    if isinstance(exc, LengthRequired):
        return ActionError(411, "send the body with a Content-Length: a chunked body is not read", "length_required")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ActionError(415, "send the body as JSON (Content-Type: application/json)", "unsupported_media_type")
    if isinstance(exc, exceptions.ParseError):
        return ActionError(400, f"the request body is not valid JSON ({exc.detail})", "invalid")
    return None


def action_params(request) -> Any:
    """What an action was sent: a GET's query string, else the decoded body (services.perform checks that
    it is an object)."""
    if request.method == "GET":
        # A repeated parameter stays a list, which the action refuses by name.
        return {name: values[0] if len(values) == 1 else values for name, values in request.query_params.lists()}
    return _body_data(request)


def body(request, serializer_class: type[serializers.Serializer], actor: Actor, action: str, *,
         source: str = "api", **audit_fields) -> dict:
    """The body, a JSON object checked by the serializer; a refusal is audited against `action`."""
    data = _body_data(request)
    try:
        if not isinstance(data, Mapping):
            raise ActionError(400, f"the request body must be a JSON object, not {preview(data)}", "invalid")
        serializer = serializer_class(data=data)
        if not serializer.is_valid():
            raise invalid(serializer.errors)
    except ActionError as err:
        if isinstance(data, Mapping):
            audit_fields["params"] = data
        raise refused(actor, action, err, source=source, **audit_fields) from None
    return dict(serializer.validated_data)
