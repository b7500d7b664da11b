"""Operations tooling that is not part of the app: ``python -m ops.prod_check`` (``make prod-check``)."""
