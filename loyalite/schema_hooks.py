"""drf-spectacular hooks: document paths the way clients call them."""


def strip_optional_trailing_slash(endpoints, **kwargs):
    """Routes written `^webhook/pos/?$` accept both; document the contract's `/webhook/pos`."""
    return [
        (path.rstrip("/") if regex.endswith("/?$") else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]
