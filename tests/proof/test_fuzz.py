"""Bad input, generated: readers, normalisers, agreement and mapping loaders, request bodies.

Nothing a partner sends or a user types may end in an unhandled exception: every input is
accepted or refused with a sharewell error (IngestError, AgreementError) or, on the web, a
4xx page or JSON error saying what is wrong. ``make soak`` runs the same properties far
longer (``SHAREWELL_FUZZ=soak``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from benchmarks.faults import Hub
from benchmarks.proof_hub import OFFICER, PASSWORD
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from sharewell.agreements import EXAMPLES_DIR, load_agreement
from sharewell.errors import AgreementError, IngestError
from sharewell.ingest import ingest_file
from sharewell.ingest.mapping import parse_mapping
from sharewell.partnership import hub_engine
from sharewell.partnership.accounts import set_password
from sharewell.store import Workspace
from sharewell.views.lookup import normalise_query
from sharewell.web import create_app
from tests.proof.conftest import FUZZ_PROFILE

settings.load_profile(FUZZ_PROFILE)

PERSON_COLUMNS = (
    "record_id", "given_name", "family_name", "date_of_birth", "sex", "postcode", "address",
    "uprn", "nhs_number", "phone", "email",
)  # fmt: skip
# Text as partners' exports hold it: any unicode, plus the shapes that break parsers.
awkward = st.sampled_from(
    ["", " ", '"', '""', ",", "\n", "\r\n", "\x00", "NULL", "N/A", "31/02/1990", "00/00/0000",
     "1e309", "-0", "=1+1", "'; DROP TABLE person_records; --", "\ufeff", "🔥", "é" * 300]
)  # fmt: skip
cell = st.one_of(st.text(max_size=40), awkward, st.text(alphabet="0123456789 /-", max_size=12))


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if re.search(r'[",\r\n]', value) else value


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace every generated extract is loaded into, one after another."""
    with Workspace(tmp_path_factory.mktemp("fuzz") / "workspace.duckdb") as ws:
        ws.initialise()
        yield ws


@given(
    header=st.lists(st.sampled_from(PERSON_COLUMNS), min_size=1, max_size=11, unique=True),
    rows=st.lists(st.lists(cell, min_size=0, max_size=13), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_csv_extract_is_loaded_or_refused_with_a_reason(
    workspace: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    header: list[str],
    rows: list[list[str]],
    encoding: str,
    delimiter: str,
) -> None:
    text = "\n".join(delimiter.join(_csv_cell(c) for c in line) for line in [header, *rows])
    path = tmp_path_factory.mktemp("csv") / "extract.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        report = ingest_file(
            workspace, partner="westshire_cc", path=path, source_type="person", loaded_by="fuzz"
        )
    except IngestError as exc:
        assert str(exc).strip()
        return
    assert report.rows_accepted + report.rows_quarantined == report.rows_read


# Lines without bound: lengths around the csv module's field limit (128 KB), the header
# sample (256 KB) and beyond, of one repeated character or a short repeated pattern.
line_length = st.one_of(
    st.integers(0, 3_000_000),
    st.sampled_from([131_071, 131_072, 131_073, 262_143, 262_144, 262_145, 1_048_576]),
)
line_piece = st.one_of(
    st.sampled_from(["A", '"', ",", ";", "\t", "|", "\r", " ", "é", "🔥", '""', 'a,"b']),
    st.text(min_size=1, max_size=5),
)


@given(
    lines=st.lists(
        st.tuples(line_piece, line_length, st.sampled_from(["\n", "\r\n", "\r", ""])),
        min_size=1,
        max_size=3,
    ),
    header=st.sampled_from(["", "record_id,given_name,family_name\n", "record_id;postcode\n"]),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
@settings(max_examples=25 if FUZZ_PROFILE == "proof" else 300)
def test_unbounded_lines_are_loaded_or_refused_naming_the_file_never_crash(
    workspace: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[tuple[str, int, str]],
    header: str,
    encoding: str,
) -> None:
    path = tmp_path_factory.mktemp("long") / "extract.csv"
    with path.open("wb") as fh:
        fh.write(header.encode(encoding, errors="replace"))
        for piece, length, end in lines:
            unit = piece.encode(encoding, errors="replace")
            fh.write(unit * max(1, length // len(unit)) + end.encode())
    try:
        report = ingest_file(
            workspace, partner="westshire_cc", path=path, source_type="person", loaded_by="fuzz"
        )
    except IngestError as exc:
        assert "extract.csv" in str(exc)  # says which file (and row or column where it can)
        return
    assert report.rows_accepted + report.rows_quarantined == report.rows_read


def test_fifty_megabytes_of_one_character_exit_3_naming_the_header_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sharewell.cli import ExitCode, main

    hub = tmp_path / "hub"
    assert main(["init", str(hub)]) == ExitCode.OK
    path = tmp_path / "extract.csv"
    path.write_bytes(b"A" * 50_000_000)  # the adversarial file: no newline at all
    capsys.readouterr()
    code = main(["ingest", str(path), "--partner", "westshire_cc", "--source", "person",
                 "--hub", str(hub)])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == ExitCode.BAD_INPUT, err
    assert "extract.csv: row 1 (the header) is longer than 256 KB" in err
    assert "Traceback" not in err and "bug in sharewell" not in err


@given(
    content=st.one_of(
        st.binary(max_size=2_000),
        st.sampled_from([b"PK\x03\x04" + b"\x00" * 40, b"PAR1garbagePAR1", b"\xd0\xcf\x11\xe0"]),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".txt", ".xls", ""]),
)
def test_any_bytes_sent_as_an_extract_are_refused_or_read_never_crash(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory, content: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"extract{suffix}"
    path.write_bytes(content)
    try:
        ingest_file(
            workspace, partner="westshire_cc", path=path, source_type="person", loaded_by="fuzz"
        )
    except IngestError as exc:
        assert str(exc).strip()


@given(details=st.fixed_dictionaries({}, optional={f: cell for f in PERSON_COLUMNS[1:]}))
def test_the_lookup_normalises_any_typed_details_or_names_the_bad_field(
    details: dict[str, str],
) -> None:
    query, problems = normalise_query(details)
    assert set(problems) <= set(details)
    assert all(isinstance(message, str) and message for message in problems.values())
    assert query is not None


def _mutations() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
        st.dates(),
    )  # fmt: skip
    return st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*prefix, i))
    return found


EXAMPLE = yaml.safe_load((EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8"))


@given(data=st.data(), replacement=_mutations(), delete=st.booleans())
def test_any_change_to_an_agreement_is_accepted_or_refused_with_problems(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, replacement: Any, delete: bool
) -> None:
    raw = yaml.safe_load(yaml.safe_dump(EXAMPLE))
    where = data.draw(st.sampled_from(_paths(raw)[1:]))
    parent = raw
    for step in where[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = replacement
    path = tmp_path_factory.mktemp("agreement") / "agreement.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    try:
        load_agreement(path)
    except AgreementError as exc:
        assert str(exc).strip()


@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(repr)))
def test_any_text_as_an_agreement_or_mapping_file_is_refused_clearly(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("yaml") / "file.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(AgreementError):
        load_agreement(path)
    try:
        parse_mapping(text)
    except IngestError as exc:
        assert str(exc).strip()


def _signed_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code == 303, answer.text
    return client


def _csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found, url
    return found[1]


def _clear_rejection(response: Any) -> None:
    """A refusal the person can act on: never a server error; a message, not a stack."""
    assert response.status_code < 500, response.text[:500]
    assert "Traceback" not in response.text
    if 400 <= response.status_code < 500:
        if response.headers["content-type"].startswith("application/json"):
            assert response.json()["error"]["message"]
        else:
            assert (
                "There is a problem" in response.text
                or "govuk-error" in response.text
                or ("You cannot" in response.text)
            ), response.text[:800]


@pytest.fixture(scope="module")
def web(linked_hub: Hub) -> dict[str, Any]:
    """The linked hub's app, with the crisis team and an IG lead signed in."""
    engine = hub_engine(linked_hub.settings)
    set_password(engine, "westshire_mht.ig_lead", PASSWORD, actor="fuzz")
    engine.dispose()
    app = create_app(linked_hub.settings)
    # The officer may look people up, so a fuzzed form reaches the search, not a refusal.
    crew = _signed_in(app, OFFICER)
    ig = _signed_in(app, "westshire_mht.ig_lead")
    return {
        "crew": crew,
        "lookup_csrf": _csrf(crew, "/lookup"),
        "ig": ig,
        "upload_csrf": _csrf(ig, "/agreements/upload"),
        "anonymous": TestClient(app, follow_redirects=False),
    }


form_value = st.one_of(cell, st.text(min_size=90, max_size=200))


@given(
    fields=st.dictionaries(
        st.sampled_from(["purpose", *PERSON_COLUMNS[1:], "as_of", "unexpected"]),
        form_value,
        max_size=8,
    )
)
def test_any_lookup_form_is_answered_or_refused_clearly(
    web: dict[str, Any], fields: dict[str, str]
) -> None:
    response = web["crew"].post("/lookup", data={**fields, "csrf_token": web["lookup_csrf"]})
    _clear_rejection(response)


@given(
    name=st.text(max_size=80) | st.sampled_from(["../../etc/passwd", "..\\..\\x.yaml", "a\x00b"]),
    content=st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
)
def test_any_agreement_upload_is_answered_or_refused_clearly(
    web: dict[str, Any], name: str, content: bytes
) -> None:
    files = {"agreement_file": (name, content, "application/x-yaml")}
    response = web["ig"].post(
        "/agreements/upload", data={"csrf_token": web["upload_csrf"]}, files=files
    )
    _clear_rejection(response)


@given(
    username=st.text(max_size=80),
    password=st.text(max_size=80),
    token=st.text(max_size=60),
)
def test_any_sign_in_form_is_refused_clearly(
    web: dict[str, Any], username: str, password: str, token: str
) -> None:
    response = web["anonymous"].post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )
    _clear_rejection(response)
    assert response.status_code != 303  # nobody gets in with generated credentials


@given(
    value=form_value,
    where=st.sampled_from(
        [("crew", "/safe-and-well", "as_of"), ("crew", "/crisis-cohort", "as_of"),
         ("ig", "/audit/person", "person_id")]
    ),
)  # fmt: skip
def test_any_query_string_is_answered_or_refused_clearly(
    web: dict[str, Any], value: str, where: tuple[str, str, str]
) -> None:
    who, path, name = where
    _clear_rejection(web[who].get(path, params={name: value}))


def test_a_non_ascii_csrf_token_is_refused_not_a_server_error(web: dict[str, Any]) -> None:
    response = web["anonymous"].post(
        "/sign-in", data={"username": "x", "password": "y", "csrf_token": "\u0080"}
    )
    _clear_rejection(response)


def test_an_extract_with_old_mac_line_endings_is_read(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Found by the long fuzz run: a lone carriage return in the header failed in the csv
    # module instead of ending the line.
    path = tmp_path_factory.mktemp("mac") / "extract.csv"
    path.write_bytes(b"record_id,given_name\r1,Ann\r2,Bob\r")
    report = ingest_file(
        workspace, partner="westshire_cc", path=path, source_type="person", loaded_by="fuzz"
    )
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    stray = path.with_name("stray.csv")
    stray.write_bytes(b"a\rb,c\n")
    with pytest.raises(IngestError, match="cannot be read as CSV"):
        ingest_file(
            workspace, partner="westshire_cc", path=stray, source_type="person", loaded_by="fuzz"
        )
