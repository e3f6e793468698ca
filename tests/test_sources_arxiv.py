"""arXiv API Atom parser on a real response: ids, wrapped text, old-style ids, categories, unsafe XML."""
from __future__ import annotations

from pathlib import Path

from bot.sources import load_bytes, load_path
from bot.sources.arxiv import parse_atom, total_results

RAW = Path(__file__).parent / "data" / "arxiv_api_query_all-Einstein_2018-02-05.atom.xml"


def papers():
    problems: list[str] = []
    out = list(load_path(RAW, problems))
    assert problems == []
    return out


def test_real_feed_ids_versionless_including_old_style():
    ps = papers()
    assert len(ps) == 10
    ids = [p.id for p in ps]
    assert ids[:4] == ["1801.05533", "0802.2137", "1209.5181", "math/0502287"]
    assert "math/0507289" in ids
    assert all(p.arxiv_id == p.id and "v" not in p.id.split("/")[-1] for p in ps)
    assert total_results(RAW.read_bytes()) == 28637


def test_wrapped_lines_joined_and_fields():
    p = papers()[0]
    assert p.title == "Einstein-Weyl structures on almost cosymplectic manifolds"
    assert p.abstract.startswith("In this article, we study the Einstein-Weyl structures on almost cosymplectic manifolds. First")
    assert "\n" not in p.abstract and "  " not in p.abstract and p.abstract.endswith("is cosymplectic.")
    assert p.authors == ("Xiaomin Chen",)
    assert p.published == "2018-01-17"
    assert p.sources == ("arxiv",) and p.upvotes is None and p.hf_date is None


def test_primary_category_first_msc_codes_kept_after():
    ps = {p.id: p for p in papers()}
    assert ps["1801.05533"].categories == ("math.DG", "53D10, 53D15")
    assert ps["0808.2097"].categories == ("math.DG", "math-ph", "math.MP", "53C25, 53A30 (Primary); 53B20 (Secondary)")
    assert ps["1209.5181"].categories == ("physics.hist-ph",)


def test_primary_first_even_when_listed_later():
    xml = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
    <entry><id>http://arxiv.org/abs/2402.13214v3</id><title>A
      wrapped   title</title><summary> s </summary>
      <arxiv:primary_category term="cs.CL"/>
      <category term="68T50"/><category term="cs.AI"/><category term="cs.CL"/></entry></feed>"""
    (p,) = parse_atom(xml)
    assert p.id == "2402.13214" and p.title == "A wrapped title"
    assert p.categories == ("cs.CL", "cs.AI", "68T50")


def test_error_entry_and_bad_entries_reported_others_kept():
    xml = b"""<feed xmlns="http://www.w3.org/2005/Atom">
    <entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>
      <summary>incorrect id format for 1234</summary></entry>
    <entry><id>http://arxiv.org/abs/2402.00001v1</id><title></title></entry>
    <entry><title>no id</title></entry>
    <entry><id>http://arxiv.org/abs/2402.00002v2</id><title>Good</title></entry></feed>"""
    problems: list[str] = []
    ps = list(parse_atom(xml, problems))
    assert [p.id for p in ps] == ["2402.00002"]
    assert len(problems) == 3 and "incorrect id format" in problems[0]


def test_unsafe_and_broken_xml_reported_not_raised():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
    <feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol2;</title></entry></feed>"""
    problems: list[str] = []
    assert list(load_bytes(bomb, "bomb.xml", problems)) == []
    assert problems and "unsafe XML" in problems[0]
    problems.clear()
    assert list(load_bytes(b"<feed><entry>", "cut.xml", problems)) == []
    assert problems and "not valid XML" in problems[0]
    problems.clear()
    assert list(parse_atom(b"<html><body>503</body></html>", problems)) == []
    assert "not an Atom feed" in problems[0]
