import pytest

from hotspot.reports.pdf import _fetch_local, render_pdf_bytes


def test_pdf_is_printed_from_a_template(settings, tmp_path):
    pdf = render_pdf_bytes("reports/base_pdf.html", {"demo_mode": True})
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000


def test_pdf_never_fetches_from_the_network():
    with pytest.raises(ValueError, match="local static files"):
        _fetch_local("https://example.org/tracker.png")
