"""Origin declarations on the invoice and REX statements on origin (``eur1pdf declare``).

The flow: data -> :mod:`.model` (the input contract) -> :mod:`.rules` (the
agreement's terms from data/declarations.toml, findings) -> :mod:`.wording`
(the text from data/wordings.toml) -> :mod:`.layout` -> :mod:`.free_area` and
:mod:`.stamp` (onto the user's own PDF) -> :mod:`.api` (``declare``).
"""
