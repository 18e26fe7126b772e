"""The ways an ARI request fails, as Asterisk answers them."""


class AriError(Exception):
    """A request Asterisk refuses: `status` with the body `{"message": message}`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class AllocationFailed(AriError):
    """Asterisk's one odd body: `500 {"error": "Allocation failed"}` (unknown technology or peer)."""

    def __init__(self):
        super().__init__(500, "Allocation failed")


def not_found(message: str = "Channel not found") -> AriError:
    return AriError(404, message)


def bad_request(message: str) -> AriError:
    return AriError(400, message)


def conflict(message: str) -> AriError:
    return AriError(409, message)
