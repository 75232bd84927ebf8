"""A logger created on first use, so that `import minikeras` does not import `logging`
(with threading, traceback and string) before anything is logged."""

__all__ = ["get_logger"]


class _LazyLogger:
    """Stands for logging.getLogger(name): every attribute comes from the real logger,
    which is created at the first attribute access."""

    __slots__ = ("_name", "_logger")

    def __init__(self, name):
        self._name = name
        self._logger = None

    def __getattr__(self, attr):
        logger = self._logger
        if logger is None:
            import logging
            logger = self._logger = logging.getLogger(self._name)
        return getattr(logger, attr)

    def __repr__(self):
        return "<lazy logger %r>" % (self._name,)


def get_logger(name="minikeras"):
    return _LazyLogger(name)
