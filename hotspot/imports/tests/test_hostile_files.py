"""Hostile and broken files: each is refused when it is checked, with file, row, column and reason.

Every file is generated here. Each test asserts that the batch is refused at check time (status
``invalid``, never the "internal error" of a crash), that the problem names the row, the column and
the reason (the file name is the batch's and is shown beside every problem), and that nothing was
written.
"""

import io
import json
import zipfile

import pytest

from hotspot.areas.models import Area, Population
from hotspot.imports.models import ImportBatch, Status

SQUARE = "POLYGON((700000 6170000, 700100 6170000, 700100 6170100, 700000 6170100, 700000 6170000))"
BOWTIE = "POLYGON((700000 6170000, 700100 6170100, 700100 6170000, 700000 6170100, 700000 6170000))"


def refused(batch, *, row=None, column=None, reason=""):
    """The batch was refused at check time; -> the problem at ``row``/``column`` naming ``reason``."""
    assert batch.status == Status.INVALID, (batch.status, batch.error)
    assert batch.errors >= 1
    problems = list(batch.problems.filter(severity="error"))
    match = [
        p
        for p in problems
        if (row is None or p.row == row)
        and (column is None or p.column == column)
        and reason.lower() in (p.reason + " " + batch.error).lower()
    ]
    assert match, [(p.row, p.column, p.reason) for p in problems]
    assert not ImportBatch.objects.get(pk=batch.pk).committed_at
    return match[0]


def nothing_written(batch):
    assert not Area.objects.filter(batch=batch).exists()
    assert not Population.objects.filter(batch=batch).exists()


def _xlsx(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = content if info.filename == member else src.read(info)
            dst.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


POPULATION = [["area", "year", "age_band", "sex", "count"], ["D01-R1", 1990, "0-9", "F", 5]]


# -- parents --------------------------------------------------------------------------------------
def test_two_areas_naming_each_other_as_parent_are_refused(load):
    body = "code,name,kind,parent,wkt\n"
    body += f'CYC-A,Område A,district,CYC-B,"{SQUARE}"\n'
    body += f'CYC-B,Område B,district,CYC-A,"{SQUARE}"\n'
    batch = load("areas", "cycle.csv", body, commit=True)
    p = refused(batch, row=2, column="parent", reason="cycle")
    assert "CYC-A → CYC-B → CYC-A" in p.reason
    nothing_written(batch)
    assert not Area.objects.filter(code__startswith="CYC-").exists()


def test_a_cycle_through_an_area_already_in_the_database_is_refused(load, demo_municipality):
    rode = Area.objects.filter(
        municipality=demo_municipality, kind="rode", parent__isnull=False
    ).first()
    district = rode.parent
    body = "code,name,kind,parent,wkt\n"
    body += (
        f'{district.code},{district.name},{district.kind},{rode.code},"{district.polygon.wkt}"\n'
    )
    batch = load("areas", "moved.csv", body, commit=True)
    p = refused(batch, row=2, column="parent", reason="cycle")
    assert f"{district.code} → {rode.code} → {district.code}" in p.reason
    district.refresh_from_db()
    assert district.parent_id is None or district.parent_id != rode.pk
    assert batch.rows_created == batch.rows_updated == 0


def test_an_area_that_is_its_own_parent_is_refused(load):
    body = f'code,name,kind,parent,wkt\nSELF-A,Selv,district,SELF-A,"{SQUARE}"\n'
    batch = load("areas", "self.csv", body, commit=True)
    refused(batch, row=2, column="parent", reason="cannot contain itself")
    assert not Area.objects.filter(code="SELF-A").exists()


# -- zip bombs ------------------------------------------------------------------------------------
def _bomb(unpacked_mb: int) -> bytes:
    """An XLSX-shaped zip whose sheet unpacks to ``unpacked_mb`` MB of one repeated row."""
    good = _xlsx(POPULATION)
    out = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>D01-R1</t></is></c></row>'
    block = row * (1_000_000 // len(row))
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
                continue
            member = zipfile.ZipInfo(info.filename)
            member.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(member, "w", force_zip64=True) as fh:
                fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/')
                fh.write(b'main"><sheetData>')
                for _ in range(unpacked_mb):
                    fh.write(block)
                fh.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_read(load, settings):
    data = _bomb(210)  # over the 200 MB default, and packed far more than 100 times
    assert len(data) < 2_000_000
    batch = load("population", "bomb.xlsx", data)
    refused(batch, reason="bomb.xlsx is refused before it is read")
    assert "unpack to 210 MB" in batch.error
    nothing_written(batch)


def test_a_highly_packed_sheet_is_refused_for_its_ratio(load):
    batch = load("population", "ratio.xlsx", _bomb(20))  # 20 MB: below the size limit
    refused(batch, reason="xl/worksheets/sheet1.xml is packed")
    assert "the limit is 100 times" in batch.error


# -- XML entities ---------------------------------------------------------------------------------
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>%s</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize("prolog,entity", [(LAUGHS, b"&lol9;"), (XXE, b"&xxe;")])
def test_a_workbook_with_a_dtd_is_refused(load, prolog, entity):
    data = _replace_member(_xlsx(POPULATION), "xl/worksheets/sheet1.xml", prolog + SHEET % entity)
    batch = load("population", "entities.xlsx", data)
    refused(batch, reason="xl/worksheets/sheet1.xml declares a DTD or entities")
    nothing_written(batch)


@pytest.mark.parametrize("prolog,entity", [(LAUGHS, b"&lol9;"), (XXE, b"&xxe;")])
def test_entities_hidden_behind_a_long_comment_are_refused_by_defusedxml(load, prolog, entity):
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # openpyxl parses with defusedxml when it is installed
    head, dtd = prolog.split(b"\n", 1)
    padded = head + b"\n<!--" + b" " * 70_000 + b"-->" + dtd  # past the prolog search
    data = _replace_member(_xlsx(POPULATION), "xl/worksheets/sheet1.xml", padded + SHEET % entity)
    batch = load("population", "hidden.xlsx", data)
    p = refused(batch, reason="declares entities or refers to external files")
    assert p.reason.startswith("hidden.xlsx ")
    assert "/" not in p.reason  # the stored file's path is not shown
    nothing_written(batch)


# -- text -----------------------------------------------------------------------------------------
def test_a_windows_1252_file_with_an_undefined_byte_names_row_and_position(load):
    body = b"code,name,kind,wkt\n"
    body += f'ENC-1,Område,district,"{SQUARE}"\n'.encode("cp1252")
    body += b'ENC-2,Omr\x81de,district,"' + SQUARE.encode() + b'"\n'
    batch = load("areas", "cp1252.csv", body)
    p = refused(batch, row=3, reason="0x81")
    offset = body.index(b"\x81")
    line_start = body.rindex(b"\n", 0, offset) + 1
    assert f"position {offset - line_start + 1} of the row" in p.reason
    assert f"byte {offset + 1} of the file" in p.reason
    assert "Windows-1252" in p.reason
    nothing_written(batch)


def test_a_nul_byte_in_a_text_cell_is_refused_per_cell(load):
    rows = [
        f"D01-R1,{year},{band},{sex},{'0' * 30}1"  # leading zeros: still the number 1
        for year in range(1900, 2020)
        for band in ("0-9", "10-14", "15-17", "18-24", "25-29", "30-59", "60+")
        for sex in "FM"
    ]  # over 64 KB, so the NUL lies past the sample that is sniffed for binary data
    rows.append("D01-R\x001,2020,0-9,F,1")
    body = "area,year,age_band,sex,count\n" + "\n".join(rows) + "\n"
    assert len(body) > 65536
    batch = load("population", "nul.csv", body)
    p = refused(batch, row=len(rows) + 1, column="area", reason="NUL")
    assert batch.errors == 1, p
    nothing_written(batch)


def test_a_nul_byte_in_a_geojson_property_is_refused(load):
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "NUL-1", "name": "a\u0000b", "kind": "district"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[700000, 6170000], [700100, 6170000], [700100, 6170100],
                                     [700000, 6170000]]],
                },
            }
        ],
    }  # fmt: skip
    batch = load("areas", "nul.geojson", json.dumps(gj))
    refused(batch, row=2, column="name", reason="NUL")
    nothing_written(batch)


@pytest.mark.parametrize("count", ["3000000000", "99999999999999999999999"])
def test_a_count_too_large_for_the_column_is_refused(load, count):
    body = f"area,year,age_band,sex,count\nD01-R1,1990,0-9,F,{count}\n"
    batch = load("population", "big.csv", body, commit=True)
    refused(batch, row=2, column="count", reason="2147483647")
    nothing_written(batch)


def test_text_longer_than_the_column_is_refused(load):
    long_id = "C" * 65
    batch = load(
        "charges",
        "long.csv",
        f"id,person,charged_on,offence,age,area\n{long_id},P-abc,01.02.2020,TRUS,17,D01-R1\n",
        commit=True,
    )
    refused(batch, row=2, column="id", reason="longer than 64")


# -- geometry -------------------------------------------------------------------------------------
def test_a_self_intersecting_polygon_is_refused_with_the_reason(load):
    body = f'code,name,kind,wkt\nBOW-1,Sløjfe,district,"{BOWTIE}"\n'
    batch = load("areas", "bowtie.csv", body, commit=True)
    p = refused(batch, row=2, column="wkt", reason="invalid polygon")
    assert "Self-intersection" in p.reason
    assert not Area.objects.filter(code="BOW-1").exists()


@pytest.mark.parametrize("depth", [100, 5000])
def test_deeply_nested_geojson_is_refused(load, depth):
    deep = "[" * depth + "]" * depth
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"code": "DEEP-1", "name": "Dyb", "kind": "district", "extra": ' + deep + "}, "
        '"geometry": null}]}'
    )
    batch = load("areas", "deep.geojson", text)
    refused(batch, reason="nested more than 32 levels deep")
    nothing_written(batch)
