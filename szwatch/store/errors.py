"""Errors of the store; callers catch ``StoreError`` to turn them into one-line messages."""


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class DatabaseUnavailableError(StoreError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot open database {url}: {reason}")
        self.url = url


class NewerStoreError(StoreError):
    """The database was migrated by a newer szwatch: this one must not touch a schema it does not know."""

    def __init__(self, url: str, revision: str) -> None:
        super().__init__(f"cannot open database {url}: this database was written by a newer szwatch "
                         f"(revision {revision}); upgrade szwatch")  # fmt: skip
        self.url = url
