"""The user cache (eur1pdf/user_cache.py, layouts/cached.py): it saves time and never changes a byte.

Real files and real processes: a cold ``eur1pdf fill`` with the cache off,
empty, filled, corrupted and written by two processes at once must all write
the same PDF.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eur1pdf import own_toml, user_cache
from eur1pdf.layouts import cached
from eur1pdf.pdf import kept_templates

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eur1-ch-mx.json"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(user_cache.CACHE_ENV, str(folder))
    return folder


def _fill(cache: Path | str, output: Path) -> bytes:
    """``eur1pdf fill`` in a new process (no in-process memory: only the disk cache carries over)."""
    env = {**os.environ, user_cache.CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "eur1pdf", "fill", str(EXAMPLE), "-o", str(output)]
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return output.read_bytes()


def test_a_stored_value_comes_back(cache):
    user_cache.store("test", ("key", 1), {"a": (1, 2.5, b"x")})
    assert user_cache.load("test", ("key", 1)) == {"a": (1, 2.5, b"x")}
    assert user_cache.load("test", ("key", 2)) is None  # another key: nothing


def test_a_damaged_entry_is_ignored_and_written_again(cache):
    user_cache.store("test", ("key",), [1, 2, 3])
    (entry,) = cache.iterdir()
    good = entry.read_bytes()
    for damaged in (good[:-5], good[:10], b"", good[:-1] + bytes([good[-1] ^ 1]), b"x" * len(good)):
        entry.write_bytes(damaged)
        assert user_cache.load("test", ("key",)) is None
    user_cache.store("test", ("key",), [1, 2, 3])
    assert user_cache.load("test", ("key",)) == [1, 2, 3]


def test_the_cache_can_be_turned_off_and_an_unwritable_one_is_no_error(tmp_path, monkeypatch):
    monkeypatch.setenv(user_cache.CACHE_ENV, "off")
    user_cache.store("test", ("key",), 1)
    assert user_cache.load("test", ("key",)) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(user_cache.CACHE_ENV, str(blocker / "cache"))
    user_cache.store("test", ("key",), 1)  # cannot be written: ignored
    assert user_cache.load("test", ("key",)) is None


def test_writers_at_once_leave_a_whole_entry(cache):
    value = {n: bytes(range(256)) * 40 for n in range(50)}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: user_cache.store("test", ("same",), value), range(64)))
    assert user_cache.load("test", ("same",)) == value
    assert [p.name for p in cache.iterdir() if p.name.startswith(".tmp-")] == []  # no leftovers


def test_a_layout_entry_makes_nothing_but_layout_classes():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    assert cached._unpickled(pickle.dumps(Evil())) is None
    assert cached._unpickled(b"not a pickle") is None


@pytest.mark.slow
def test_fill_is_the_same_with_the_cache_off_empty_filled_corrupted_and_shared(tmp_path):
    expected = _fill("off", tmp_path / "off.pdf")
    folder = tmp_path / "cache"
    assert _fill(folder, tmp_path / "empty.pdf") == expected  # fills the cache
    kinds = {p.name.split("-")[0] for p in folder.iterdir()}
    assert {"font", "subset", "layout", "template", "toml"} <= kinds
    assert _fill(folder, tmp_path / "filled.pdf") == expected  # reads it
    for entry in folder.iterdir():  # every entry damaged: each is made again, the bytes are the same
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    assert _fill(folder, tmp_path / "corrupted.pdf") == expected
    assert _fill(folder, tmp_path / "rewritten.pdf") == expected
    shared = tmp_path / "shared"  # empty, two processes filling it at once
    with ThreadPoolExecutor(2) as pool:
        outputs = list(pool.map(lambda n: _fill(shared, tmp_path / f"shared{n}.pdf"), range(2)))
    assert outputs == [expected, expected]
    assert _fill(shared, tmp_path / "after.pdf") == expected


@pytest.mark.slow
def test_a_cold_fill_with_the_cache_filled_imports_no_font_or_pdf_library(tmp_path):
    folder = tmp_path / "cache"
    _fill(folder, tmp_path / "first.pdf")
    code = (  # and it does not draw the blank form: its PDF objects are kept (pdf/kept_templates.py)
        "import sys; import eur1pdf.artwork.blank as b; from eur1pdf.cli import main; "
        "b.blank_pages = lambda *a: sys.exit('the blank was drawn'); "
        f"rc = main(['fill', {str(EXAMPLE)!r}, '-o', {str(tmp_path / 'x.pdf')!r}]); "
        "print(rc, sorted(m for m in ('fontTools', 'pikepdf', 'yaml', 'zxingcpp') if m in sys.modules))"
    )
    env = {**os.environ, user_cache.CACHE_ENV: str(folder), "PYTHONPATH": str(ROOT)}
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert answer.stdout.strip().splitlines()[-1] == "0 []", answer.stderr


def test_a_folder_others_may_write_to_is_no_cache(cache):
    """An entry planted by another user would become the fonts of every certificate: the checksum
    only tells a damaged entry, so a folder others may write to (or a link to one) is not used."""
    user_cache.store("test", ("k",), b"ours")
    assert user_cache.load("test", ("k",)) == b"ours"
    assert cache.stat().st_mode & 0o777 == 0o700  # made for this user alone
    cache.chmod(0o777)
    assert user_cache.load("test", ("k",)) is None
    user_cache.store("test", ("other",), b"x")  # nor written to
    assert not any(p.name.startswith("test-") and p.read_bytes().endswith(b"x") for p in cache.iterdir())
    cache.chmod(0o700)
    link = cache.parent / "link"
    link.symlink_to(cache, target_is_directory=True)
    os.environ[user_cache.CACHE_ENV] = str(link)  # the fixture's monkeypatch restores it
    assert user_cache.load("test", ("k",)) is None


def test_a_kept_template_comes_back_whole_and_a_bad_one_is_refused(cache):
    from eur1pdf import FillOptions, load_certificate, render
    from eur1pdf.layouts import get_layout

    cert = load_certificate(EXAMPLE)
    render(cert, FillOptions(final=True))  # the prepared layout's templates: kept as it goes
    store = get_layout(cert.form).prepared.derived(kept_templates.SharedTemplates, dict)
    assert isinstance(store, kept_templates.KeptTemplates)
    template = next(t for k, t in store.items() if kept_templates._keepable(k))
    encoded = kept_templates._encoded(template)
    back = kept_templates._decoded(encoded)
    assert back is not None
    assert back.fonts == template.fonts  # the very font objects the data is written with
    assert b"".join(back.body.chunks) == b"".join(template.body.chunks)
    assert (back.body.offsets, back.faces, back.marks, back.ocg) == (
        template.body.offsets,
        template.faces,
        template.marks,
        template.ocg,
    )
    assert back.codepoints == template.codepoints
    names, codepoints, *rest = encoded
    for bad in (
        None,
        "x",
        (names,),
        (("../../etc/passwd",), {}, *rest),  # a font outside eur1pdf's fonts folder
        (names, {"NoSuchFont": frozenset()}, *rest),
        (names, codepoints, "1", *rest[1:]),
        (names, codepoints, rest[0], "not bytes", *rest[2:]),
    ):
        assert kept_templates._decoded(bad) is None
    assert not kept_templates._keepable(((b"%PDF user blank", "final"), (0,), (), True))  # never kept


def test_own_toml_is_kept_with_its_dates_and_a_bad_entry_is_parsed_again(cache, tmp_path):
    source = tmp_path / "table.toml"
    source.write_text('[a]\nsince = 2021-01-01\nnames = ["x", "y"]\n[a.b]\nn = 1.5\n')
    expected = {"a": {"since": own_toml.dt.date(2021, 1, 1), "names": ["x", "y"], "b": {"n": 1.5}}}
    assert own_toml.read_own_toml(source) == expected  # parsed, kept
    assert own_toml.read_own_toml(source) == expected  # read back
    key = own_toml.cache_key(source)
    user_cache.store("toml", key, {"a": ("datetime", "x")})  # an entry of another shape
    assert own_toml.read_own_toml(source) == expected
    timed = tmp_path / "timed.toml"
    timed.write_text("at = 2021-01-01T10:00:00\n")  # a date-time: parsed every time, never kept
    assert own_toml.read_own_toml(timed) == {"at": own_toml.dt.datetime(2021, 1, 1, 10)}
    assert user_cache.load("toml", own_toml.cache_key(timed)) is None


def test_the_agreement_table_comes_back_validated_and_nothing_else_is_made(cache):
    from eur1pdf.rules import agreements as table

    table.agreements.cache_clear()
    made = table.agreements()  # validated from the file, kept
    table.agreements.cache_clear()
    assert table.agreements() == made  # read back from the user cache
    table.agreements.cache_clear()

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    assert table._unpickled(pickle.dumps(Evil())) is None
    assert table._unpickled(pickle.dumps({"x": 1})) is None  # not the table's shape
    assert table._unpickled(b"not a pickle") is None
    some = next(iter(made))
    assert table._unpickled(pickle.dumps({"other": made[some]})) is None  # a row under another key


def test_an_entry_name_does_not_depend_on_how_the_key_was_built(cache):
    """The same key, built from shared or separate (interned or not) strings, names the same entry:
    a key written by one process is found by another (marshal's later versions told them apart)."""
    word = "LiberationSans-Regular"
    shared = (word, word, 1.5)
    separate = ("".join(["Liberation", "Sans-Regular"]), "".join(["LiberationSans", "-Regular"]), 1.5)
    assert shared == separate
    assert user_cache._entry("test", shared) == user_cache._entry("test", separate)
    user_cache.store("test", shared, b"kept")
    assert user_cache.load("test", separate) == b"kept"


def _builtin_files() -> list[Path]:
    from eur1pdf.layouts import registry

    return [registry.BUILTIN_DIR / f"{n}.toml" for n in registry.builtin_names()]


def test_a_built_in_layout_comes_back_prepared_and_a_bad_or_stale_entry_is_loaded_again(cache, monkeypatch):
    from eur1pdf.layouts import registry
    from eur1pdf.layouts.prepared import prepare

    loads = []

    def load():
        loads.append(1)
        return registry.load_layout_file(registry.BUILTIN_DIR / "eur1.toml")

    made = cached.cached_builtin("eur1", _builtin_files(), load)
    back = cached.cached_builtin("eur1", _builtin_files(), load)
    assert len(loads) == 1, "the second one came from the user cache"
    assert back == made and back is not made
    assert back.prepared.layout is back  # prepared, and kept on the layout that came back
    fresh = prepare(made.model_copy(deep=True))
    assert [f.rect for face in back.prepared.faces.values() for f in face.fields] == [
        f.rect for face in fresh.faces.values() for f in face.fields
    ]
    assert back.prepared.prints_cumulation == fresh.prints_cumulation
    (entry,) = [p for p in cache.iterdir() if p.name.startswith("layout-prepared-")]
    entry.write_bytes(entry.read_bytes()[:-7])  # damaged: loaded from the file again, written again
    assert cached.cached_builtin("eur1", _builtin_files(), load) == made and len(loads) == 2
    monkeypatch.setattr(kept_templates, "code_key", lambda: ("other code",))  # the preparing code changed
    assert cached.cached_builtin("eur1", _builtin_files(), load) == made and len(loads) == 3


def test_a_layout_entry_makes_nothing_but_the_prepared_layout_classes():
    from eur1pdf.layouts import prepared, registry

    class Evil:
        def __reduce__(self):
            return (prepared.prepare, (None,))  # a function of an allowed module: still refused

    assert cached._unpickled(pickle.dumps(Evil())) is None
    layout = registry.load_layout_file(registry.BUILTIN_DIR / "eur1.toml")
    assert cached._unpickled(pickle.dumps(layout)) is None  # a layout alone (the old entry): not prepared
    kept = cached._pickled(layout)
    assert cached._unpickled(kept) == layout
    with_derived = pickle.dumps(prepared.PreparedLayout(layout, {}, False, _variants={"stars": layout}))
    assert cached._unpickled(with_derived) is None  # what a later stage derived is never kept


def test_font_tables_come_back_whole_and_a_bad_entry_is_read_again(cache):
    from fontTools.ttLib import TTFont

    from eur1pdf.placement import font_tables as ft
    from eur1pdf.resources import fonts_dir

    path = fonts_dir() / "LiberationSans-Bold.ttf"
    ft.font_tables.cache_clear()
    try:
        made = ft.font_tables(path)  # read with fontTools, kept
        ft.font_tables.cache_clear()
        back = ft.font_tables(path)  # read back
        assert back is not made
        for name in ("characters", "advances", "glyphs", "notdef_width", "bbox", "ascent", "postscript_name"):
            assert getattr(back, name) == getattr(made, name)
        tt = TTFont(str(path), lazy=True)  # what the old tables held, glyph by glyph
        cmap, hmtx, order = tt.getBestCmap(), tt["hmtx"].metrics, tt.getGlyphOrder()
        scale, gid = 1000 / tt["head"].unitsPerEm, {g: n for n, g in enumerate(order)}
        assert back.units == {cp: hmtx[g][0] for cp, g in cmap.items()}
        assert back.glyph_of == {cp: gid[g] for cp, g in cmap.items()}
        assert back.width_of == {gid[g]: round(hmtx[g][0] * scale) for g in [order[0], *cmap.values()]}
        assert back.learn("Aé€") and back.hex_of[ord("é")] == f"{gid[cmap[ord('é')]]:04X}"
        assert not back.learn("\U0001f600") and 0x1F600 not in back.hex_of
        key = ft.cache_key(path)
        good = ft._read_tables(path)
        for bad in (
            {"units_per_em": 2048},
            {**good, "advances": good["advances"][:-2]},  # one advance short
            {**good, "characters": 5},
            {**good, "bbox": (1, 2)},
            {**good, "extra": 1},
        ):
            user_cache.store(ft._KIND, key, bad)
            ft.font_tables.cache_clear()
            again = ft.font_tables(path)
            assert again.characters == made.characters and again.advances == made.advances
            assert user_cache.load(ft._KIND, key) == good  # written again
    finally:
        ft.font_tables.cache_clear()


def test_font_objects_come_back_as_written_and_a_bad_entry_is_written_again(cache):
    from eur1pdf.pdf import fonts
    from eur1pdf.placement.text import load_font

    font = load_font("LiberationSans-Regular")
    codepoints = fonts.glyph_set(frozenset(map(ord, "Origin")), map(ord, "Zürich"))
    made = fonts._made_font_objects(font, codepoints, 7)
    first = fonts._kept_font_objects(font, codepoints, 7)  # made, kept
    back = fonts._kept_font_objects(font, codepoints, 7)  # read back
    for body in (first, back):
        assert (body.first, body.chunks, body.offsets, body.size) == (7, made.chunks, made.offsets, made.size)
    key = fonts._objects_key(font, codepoints, 7)
    data, offsets = made.chunks[0], tuple(made.offsets)
    for bad in (
        None,
        (8, data, offsets),  # numbered from another object
        (7, "text", offsets),
        (7, data, offsets[:-1]),
        (7, data, offsets[::-1]),
        (7, data, (*offsets[:-1], len(data))),
        (7, b"x" + data[1:], offsets),
    ):
        assert fonts._decoded_objects(bad, 7) is None
        user_cache.store("font-objects", key, bad)
        again = fonts._kept_font_objects(font, codepoints, 7)
        assert again.chunks == made.chunks and again.offsets == made.offsets
        assert user_cache.load("font-objects", key) == (7, data, offsets)  # written again
    assert fonts._objects_key(font, codepoints, 8) != key
    assert fonts._objects_key(font, codepoints | {0x20AC}, 7) != key


def test_own_toml_without_dates_is_kept_as_parsed(cache, tmp_path):
    source = tmp_path / "plain.toml"
    source.write_text('[a]\nnames = ["x", "y"]\nn = 1.5\n')
    expected = {"a": {"names": ["x", "y"], "n": 1.5}}
    assert own_toml.read_own_toml(source) == expected  # parsed, kept
    key = own_toml.cache_key(source)
    assert user_cache.load("toml", key) == ("plain", expected)
    assert own_toml.read_own_toml(source) == expected  # read back
    user_cache.store("toml", key, ("plain", ["not", "a", "table"]))  # another shape: parsed again
    assert own_toml.read_own_toml(source) == expected


def test_threads_asking_for_a_font_at_once_share_one_set_of_tables(cache):
    """Review: with functools.cache two threads' first calls each made a FontTables, and (Python
    3.12's cached_property has no lock) a FontMetrics could measure with one's learnt characters
    and look them up in the other's: a KeyError or a false missing glyph."""
    import threading

    from eur1pdf.placement import font_tables as ft
    from eur1pdf.resources import fonts_dir

    path = fonts_dir() / "LiberationSans-Regular.ttf"
    for _ in range(5):
        ft.font_tables.cache_clear()
        start, found = threading.Barrier(8), []

        def ask(start: threading.Barrier, found: list) -> None:
            start.wait()
            found.append(ft.font_tables(path))

        threads = [threading.Thread(target=ask, args=(start, found)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(tables) for tables in found}) == 1
    tables = ft.font_tables(path)  # the dicts learn() fills are made with the object, not on first use
    assert {"learnt", "char_units", "hex_of", "character_set"} <= set(vars(tables))
    ft.font_tables.cache_clear()
