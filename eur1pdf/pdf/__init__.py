"""Internal: eur1pdf's own PDF writer (syntax, content streams, fonts, imported blanks, document assembly).

Not a public API: its modules change with the writer's needs."""
