"""The ARI data models of Asterisk 22's Swagger spec (ari-spec/*.json), copied here as tables so
that tests check the simulator's JSON without reading the spec at run time.

Each model maps a field to (type, required[, allowed values]). Events inherit `type` and
`asterisk_id` from Message and `application` and `timestamp` from Event.
"""
from __future__ import annotations

import re
from typing import Any

MODELS = {
    'Application': {
        'name': ('string', True),
        'channel_ids': ('List[string]', True),
        'bridge_ids': ('List[string]', True),
        'endpoint_ids': ('List[string]', True),
        'device_names': ('List[string]', True),
        'events_allowed': ('List[object]', True),
        'events_disallowed': ('List[object]', True),
    },
    'BuildInfo': {
        'os': ('string', True),
        'kernel': ('string', True),
        'options': ('string', True),
        'machine': ('string', True),
        'date': ('string', True),
        'user': ('string', True),
    },
    'SystemInfo': {
        'version': ('string', True),
        'entity_id': ('string', True),
    },
    'SetId': {
        'user': ('string', True),
        'group': ('string', True),
    },
    'ConfigInfo': {
        'name': ('string', True),
        'default_language': ('string', True),
        'max_channels': ('int', False),
        'max_open_files': ('int', False),
        'max_load': ('double', False),
        'setid': ('SetId', True),
    },
    'StatusInfo': {
        'startup_time': ('Date', True),
        'last_reload_time': ('Date', True),
    },
    'AsteriskInfo': {
        'build': ('BuildInfo', False),
        'system': ('SystemInfo', False),
        'config': ('ConfigInfo', False),
        'status': ('StatusInfo', False),
    },
    'AsteriskPing': {
        'asterisk_id': ('string', True),
        'ping': ('string', True),
        'timestamp': ('string', True),
    },
    'Module': {
        'name': ('string', True),
        'description': ('string', True),
        'use_count': ('int', True),
        'status': ('string', True),
        'support_level': ('string', True),
    },
    'LogChannel': {
        'channel': ('string', True),
        'type': ('string', True),
        'status': ('string', True),
        'configuration': ('string', True),
    },
    'Variable': {
        'value': ('string', True),
    },
    'ConfigTuple': {
        'attribute': ('string', True),
        'value': ('string', True),
    },
    'Bridge': {
        'id': ('string', True),
        'technology': ('string', True),
        'bridge_type': ('string', True, ('mixing', 'holding')),
        'bridge_class': ('string', True),
        'creator': ('string', True),
        'name': ('string', True),
        'channels': ('List[string]', True),
        'video_mode': ('string', False),
        'video_source_id': ('string', False),
        'creationtime': ('Date', True),
    },
    'Dialed': {
    },
    'DialplanCEP': {
        'context': ('string', True),
        'exten': ('string', True),
        'priority': ('long', True),
        'app_name': ('string', True),
        'app_data': ('string', True),
    },
    'CallerID': {
        'name': ('string', True),
        'number': ('string', True),
    },
    'RTPstat': {
        'txcount': ('int', True),
        'rxcount': ('int', True),
        'txjitter': ('double', False),
        'rxjitter': ('double', False),
        'remote_maxjitter': ('double', False),
        'remote_minjitter': ('double', False),
        'remote_normdevjitter': ('double', False),
        'remote_stdevjitter': ('double', False),
        'local_maxjitter': ('double', False),
        'local_minjitter': ('double', False),
        'local_normdevjitter': ('double', False),
        'local_stdevjitter': ('double', False),
        'txploss': ('int', True),
        'rxploss': ('int', True),
        'remote_maxrxploss': ('double', False),
        'remote_minrxploss': ('double', False),
        'remote_normdevrxploss': ('double', False),
        'remote_stdevrxploss': ('double', False),
        'local_maxrxploss': ('double', False),
        'local_minrxploss': ('double', False),
        'local_normdevrxploss': ('double', False),
        'local_stdevrxploss': ('double', False),
        'rtt': ('double', False),
        'maxrtt': ('double', False),
        'minrtt': ('double', False),
        'normdevrtt': ('double', False),
        'stdevrtt': ('double', False),
        'local_ssrc': ('int', True),
        'remote_ssrc': ('int', True),
        'txoctetcount': ('int', True),
        'rxoctetcount': ('int', True),
        'channel_uniqueid': ('string', True),
    },
    'Channel': {
        'id': ('string', True),
        'protocol_id': ('string', True),
        'name': ('string', True),
        'state': ('string', True, ('Down', 'Rsrved', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring', 'Unknown')),
        'caller': ('CallerID', True),
        'connected': ('CallerID', True),
        'accountcode': ('string', True),
        'dialplan': ('DialplanCEP', True),
        'creationtime': ('Date', True),
        'language': ('string', True),
        'channelvars': ('object', False),
        'caller_rdnis': ('string', False),
        'tenantid': ('string', False),
    },
    'Endpoint': {
        'technology': ('string', True),
        'resource': ('string', True),
        'state': ('string', False, ('unknown', 'offline', 'online')),
        'channel_ids': ('List[string]', True),
    },
    'TextMessage': {
        'from': ('string', True),
        'to': ('string', True),
        'body': ('string', True),
        'variables': ('object', False),
    },
    'Message': {
        'type': ('string', True),
        'asterisk_id': ('string', False),
    },
    'MissingParams': {
        'params': ('List[string]', True),
    },
    'Event': {
        'application': ('string', True),
        'timestamp': ('Date', True),
    },
    'ContactInfo': {
        'uri': ('string', True),
        'contact_status': ('string', True, ('Unreachable', 'Reachable', 'Unknown', 'NonQualified', 'Removed')),
        'aor': ('string', True),
        'roundtrip_usec': ('string', False),
    },
    'Peer': {
        'peer_status': ('string', True),
        'cause': ('string', False),
        'address': ('string', False),
        'port': ('string', False),
        'time': ('string', False),
    },
    'DeviceStateChanged': {
        'device_state': ('DeviceState', True),
    },
    'PlaybackStarted': {
        'playback': ('Playback', True),
    },
    'PlaybackContinuing': {
        'playback': ('Playback', True),
    },
    'PlaybackFinished': {
        'playback': ('Playback', True),
    },
    'RecordingStarted': {
        'recording': ('LiveRecording', True),
    },
    'RecordingFinished': {
        'recording': ('LiveRecording', True),
    },
    'RecordingFailed': {
        'recording': ('LiveRecording', True),
    },
    'ApplicationMoveFailed': {
        'channel': ('Channel', True),
        'destination': ('string', True),
        'args': ('List[string]', True),
    },
    'ApplicationReplaced': {
    },
    'BridgeCreated': {
        'bridge': ('Bridge', True),
    },
    'BridgeDestroyed': {
        'bridge': ('Bridge', True),
    },
    'BridgeMerged': {
        'bridge': ('Bridge', True),
        'bridge_from': ('Bridge', True),
    },
    'BridgeVideoSourceChanged': {
        'bridge': ('Bridge', True),
        'old_video_source_id': ('string', False),
    },
    'BridgeBlindTransfer': {
        'channel': ('Channel', True),
        'replace_channel': ('Channel', False),
        'transferee': ('Channel', False),
        'exten': ('string', True),
        'context': ('string', True),
        'result': ('string', True),
        'is_external': ('boolean', True),
        'bridge': ('Bridge', False),
    },
    'BridgeAttendedTransfer': {
        'transferer_first_leg': ('Channel', True),
        'transferer_second_leg': ('Channel', True),
        'replace_channel': ('Channel', False),
        'transferee': ('Channel', False),
        'transfer_target': ('Channel', False),
        'result': ('string', True),
        'is_external': ('boolean', True),
        'transferer_first_leg_bridge': ('Bridge', False),
        'transferer_second_leg_bridge': ('Bridge', False),
        'destination_type': ('string', True),
        'destination_bridge': ('string', False),
        'destination_application': ('string', False),
        'destination_link_first_leg': ('Channel', False),
        'destination_link_second_leg': ('Channel', False),
        'destination_threeway_channel': ('Channel', False),
        'destination_threeway_bridge': ('Bridge', False),
    },
    'ChannelCreated': {
        'channel': ('Channel', True),
    },
    'ChannelDestroyed': {
        'cause': ('int', True),
        'cause_txt': ('string', True),
        'channel': ('Channel', True),
    },
    'ChannelEnteredBridge': {
        'bridge': ('Bridge', True),
        'channel': ('Channel', False),
    },
    'ChannelLeftBridge': {
        'bridge': ('Bridge', True),
        'channel': ('Channel', True),
    },
    'ChannelStateChange': {
        'channel': ('Channel', True),
    },
    'ChannelDtmfReceived': {
        'digit': ('string', True),
        'duration_ms': ('int', True),
        'channel': ('Channel', True),
    },
    'ChannelDialplan': {
        'channel': ('Channel', True),
        'dialplan_app': ('string', True),
        'dialplan_app_data': ('string', True),
    },
    'ChannelCallerId': {
        'caller_presentation': ('int', True),
        'caller_presentation_txt': ('string', True),
        'channel': ('Channel', True),
    },
    'ChannelUserevent': {
        'eventname': ('string', True),
        'channel': ('Channel', False),
        'bridge': ('Bridge', False),
        'endpoint': ('Endpoint', False),
        'userevent': ('object', True),
    },
    'ChannelHangupRequest': {
        'cause': ('int', False),
        'soft': ('boolean', False),
        'channel': ('Channel', True),
    },
    'ChannelVarset': {
        'variable': ('string', True),
        'value': ('string', True),
        'channel': ('Channel', False),
    },
    'ChannelHold': {
        'channel': ('Channel', True),
        'musicclass': ('string', False),
    },
    'ChannelUnhold': {
        'channel': ('Channel', True),
    },
    'ChannelToneDetected': {
        'channel': ('Channel', True),
    },
    'ChannelTalkingStarted': {
        'channel': ('Channel', True),
    },
    'ChannelTalkingFinished': {
        'channel': ('Channel', True),
        'duration': ('int', True),
    },
    'ContactStatusChange': {
        'endpoint': ('Endpoint', True),
        'contact_info': ('ContactInfo', True),
    },
    'PeerStatusChange': {
        'endpoint': ('Endpoint', True),
        'peer': ('Peer', True),
    },
    'EndpointStateChange': {
        'endpoint': ('Endpoint', True),
    },
    'Dial': {
        'caller': ('Channel', False),
        'peer': ('Channel', True),
        'forward': ('string', False),
        'forwarded': ('Channel', False),
        'dialstring': ('string', False),
        'dialstatus': ('string', True),
    },
    'StasisEnd': {
        'channel': ('Channel', True),
    },
    'StasisStart': {
        'args': ('List[string]', True),
        'channel': ('Channel', True),
        'replace_channel': ('Channel', False),
    },
    'TextMessageReceived': {
        'message': ('TextMessage', True),
        'endpoint': ('Endpoint', False),
    },
    'ChannelConnectedLine': {
        'channel': ('Channel', True),
    },
    'Playback': {
        'id': ('string', True),
        'media_uri': ('string', True),
        'next_media_uri': ('string', False),
        'target_uri': ('string', True),
        'language': ('string', False),
        'state': ('string', True, ('queued', 'playing', 'continuing', 'done', 'failed')),
    },
    'StoredRecording': {
        'name': ('string', True),
        'format': ('string', True),
    },
    'LiveRecording': {
        'name': ('string', True),
        'format': ('string', True),
        'target_uri': ('string', True),
        'state': ('string', True, ('queued', 'recording', 'paused', 'done', 'failed', 'canceled')),
        'duration': ('int', False),
        'talking_duration': ('int', False),
        'silence_duration': ('int', False),
        'cause': ('string', False),
    },
}

# Not in the files copied from the spec (it lives in deviceStates.json).
MODELS["DeviceState"] = {
    "name": ("string", True),
    "state": ("string", True, ("UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING",
                               "RINGINUSE", "ONHOLD")),
}
# Asterisk reports a paused playback as "paused" although the spec's list omits it.
MODELS["Playback"]["state"] = ("string", True, ("queued", "playing", "paused", "continuing", "done", "failed"))

MESSAGE_FIELDS = {"type": ("string", True), "asterisk_id": ("string", False)}
EVENT_FIELDS = {"application": ("string", True), "timestamp": ("Date", True)}
EVENT_TYPES = frozenset((
    "DeviceStateChanged", "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished", "RecordingStarted",
    "RecordingFinished", "RecordingFailed", "ApplicationMoveFailed", "ApplicationReplaced", "BridgeCreated",
    "BridgeDestroyed", "BridgeMerged", "BridgeBlindTransfer", "BridgeAttendedTransfer",
    "BridgeVideoSourceChanged", "ChannelCreated", "ChannelDestroyed", "ChannelEnteredBridge",
    "ChannelLeftBridge", "ChannelStateChange", "ChannelDtmfReceived", "ChannelDialplan", "ChannelCallerId",
    "ChannelUserevent", "ChannelHangupRequest", "ChannelVarset", "ChannelToneDetected", "ChannelTalkingStarted",
    "ChannelTalkingFinished", "ChannelHold", "ChannelUnhold", "ContactStatusChange", "EndpointStateChange", "Dial",
    "StasisEnd", "StasisStart", "TextMessageReceived", "ChannelConnectedLine", "PeerStatusChange",
))
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
_SCALARS = {
    "string": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "Date": lambda v: isinstance(v, str) and bool(DATE.match(v)),
    "containers": lambda v: isinstance(v, dict),
}


def fields_of(model: str) -> dict:
    if model in EVENT_TYPES:
        return {**MESSAGE_FIELDS, **EVENT_FIELDS, **MODELS[model]}
    return MODELS[model]


def check(model: str, value: Any, where: str = "") -> list[str]:
    """Problems with `value` as an instance of `model`: missing required fields, fields the model
    does not declare, wrong types, values outside the allowed list."""
    where = where or model
    if not isinstance(value, dict):
        return [f"{where}: {model} must be an object, got {type(value).__name__}"]
    spec = fields_of(model)
    problems = [f"{where}: missing required {name}" for name, (_, required, *_) in spec.items()
                if required and name not in value]
    problems += [f"{where}: {name} is not a field of {model}" for name in value if name not in spec]
    for name, item in value.items():
        if name in spec:
            kind, _, *allowed = spec[name]
            problems += check_type(kind, item, f"{where}.{name}")
            if allowed and item not in allowed[0]:
                problems.append(f"{where}.{name}: {item!r} not one of {allowed[0]}")
    return problems


def check_type(kind: str, value: Any, where: str) -> list[str]:
    if kind.startswith("List[") and kind.endswith("]"):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        problems = []
        for index, item in enumerate(value):
            problems += check_type(kind[5:-1], item, f"{where}[{index}]")
        return problems
    if kind in _SCALARS:
        return [] if _SCALARS[kind](value) else [f"{where}: {value!r} is not a {kind}"]
    if kind in MODELS:
        return check(kind, value, where)
    return [f"{where}: unknown type {kind}"]


def check_event(event: dict) -> list[str]:
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        return [f"unknown event type {kind!r}"]
    return check(kind, event, kind)
