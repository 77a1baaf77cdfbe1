"""French typography of the rendered HTML (reports.render.typography) and the colophon."""

from __future__ import annotations

from types import SimpleNamespace

from reports.paths import Paths
from reports.render import typography
from reports.render.jinja import make_env, render_template

NB = "\u00a0"


def test_apostrophes_quotes_and_ranges_in_text_only():
    html = (
        "<p class=\"x\" title='a'>l'atlas &#39;n « Musique » 2003-2023</p>"
        "<style>p::after { content: 'x'; }</style><!-- it's -->"
    )
    out = typography.html(html)
    assert "<p class=\"x\" title='a'>" in out  # markup untouched
    assert f"l’atlas ’n «{NB}Musique{NB}» 2003–2023" in out
    assert "content: 'x';" in out and "<!-- it's -->" in out


def test_guillemets_bound_to_their_words():
    assert typography.text("«Théâtre»") == f"«{NB}Théâtre{NB}»"
    assert typography.text("« Théâtre »") == f"«{NB}Théâtre{NB}»"
    assert typography.text("2019-2023 et 12-2023 et 20190-2023") == (
        "2019–2023 et 12-2023 et 20190-2023"
    )


def test_thousands_bound_to_their_number():
    assert typography.text("communes de plus de 3 500 habitants, 2 000 000 €") == (
        f"communes de plus de 3{NB}500 habitants, 2{NB}000{NB}000 €"
    )
    # a year then a number, a decimal, a caption number: left as they are
    for kept in ("en 2019 200 musées", "de 1,5 000", "Carte 3 Part", "les 18 régions"):
        assert typography.text(kept) == kept


def test_names_in_analysis_paragraphs_are_not_hyphenated():
    out = typography.html(
        '<h2>Auvergne-Rhône-Alpes</h2><p class="analysis">La région Auvergne-Rhône-Alpes '
        "compte 3 musées en Corse-du-Sud.</p><p>Auvergne</p>"
    )
    assert '<span class="nh">Auvergne-Rhône-Alpes</span> compte' in out
    assert '<span class="nh">Corse-du-Sud</span>' in out
    assert "<h2>Auvergne-Rhône-Alpes</h2>" in out and "<p>Auvergne</p>" in out


def _colophon(settings: dict) -> str:
    doc = SimpleNamespace(
        edition="Édition 2026",
        author="Ministère de la Culture",
        version="1",
        date="2026-01-01",
        issued="",
        extra={"settings": settings, "plan": SimpleNamespace(vintages="2018", licences=[])},
    )
    return render_template(make_env(Paths().templates), "atlas/colophon.html", {"doc": doc})


def test_colophon_leaves_unset_fields_out():
    html = _colophon({})
    for text in ("[à compléter]", "XXXX", "à attribuer", "Directeur", "ISBN", "Dépôt légal"):
        assert text not in html
    html = _colophon({"director": "Jeanne Martin", "isbn": "978-2-11-000000-0"})
    assert "Jeanne Martin" in html and "978-2-11-000000-0" in html
    html = _colophon({"legal_deposit": "mars 2026"})
    assert "Dépôt légal" in html and "mars 2026" in html
