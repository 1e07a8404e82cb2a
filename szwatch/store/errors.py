"""Errors of the store; callers catch ``StoreError`` to turn them into one-line messages."""


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class DatabaseUnavailableError(StoreError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot open database {url}: {reason}")
        self.url = url
