"""The one error the emulator's handlers raise: an API 3.0 error code and message."""

from __future__ import annotations


class ApiError(Exception):
    """Becomes `{"Response": {"Error": {"Code": code, "Message": message}, "RequestId": ...}}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
