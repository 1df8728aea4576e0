import pytest


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.IMPORT_DIR = str(tmp_path / "imports")


@pytest.fixture(autouse=True)
def _english(english):
    """The engine's messages are checked in English (the source language); the pages are Danish."""
    yield


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """The demo city at the suite's scale in the import formats (democity.write_csv)."""
    import democity
    from conftest import DEMO_SCALE

    out = tmp_path_factory.mktemp("demo-files")
    return democity.write_csv(democity.generate_city(seed=1, scale=DEMO_SCALE), out)


@pytest.fixture
def load(tmp_path, demo_municipality):
    """load(kind, name, content, commit=False, municipality=None, **options) -> the checked batch."""
    from hotspot.imports import actions
    from hotspot.imports.models import Status

    def _load(kind, name, content, *, commit=False, municipality=None, user=None, **options):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        batch = actions.create_batch(
            municipality=municipality or demo_municipality,
            kind=kind,
            file_name=name,
            path=str(path),
            user=user,
            options=options,
        )
        actions.validate(batch)
        if commit and batch.status == Status.READY:
            actions.commit(batch, user)
            batch.refresh_from_db()
        return batch

    return _load
