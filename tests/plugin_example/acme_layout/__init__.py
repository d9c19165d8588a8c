"""An example eur1pdf layout plug-in: the entry point gives the path of its TOML."""

from pathlib import Path


def layout_path() -> Path:
    return Path(__file__).parent / "acme.toml"
