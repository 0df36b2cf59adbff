"""S3 sources, cache, errors, deep-dive layout and publishing, against a real moto server on loopback.

No boto3 mocks: every call is real HTTP to moto's ThreadedMotoServer (see ``s3_server.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

try:  # the tests folder is a rootdir-relative import path, or a package
    from s3_server import FAKE_CREDENTIALS, MotoS3, s3_server, unresponsive_endpoint
except ImportError:  # pragma: no cover
    from script_testing_tests.s3_server import (  # noqa: F401
        FAKE_CREDENTIALS,
        MotoS3,
        s3_server,
        unresponsive_endpoint,
    )

from script_testing.config.project import SourceSpec
from script_testing.errors import SourceError
from script_testing.s3 import (
    ObjectChangedError,
    check_layout,
    deep_dive_sources,
    execution_layout,
    make_s3_client,
    publish_run,
)
from script_testing.sources.base import SourceContext
from script_testing.sources.s3 import S3Source

pytestmark = [pytest.mark.s3]

ROOT = Path(__file__).resolve().parents[1]


# -- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def bucket(s3_server: MotoS3) -> str:
    name = f"st-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def ctx_for(tmp_path: Path, cache: Path | None = None, **options) -> SourceContext:
    return SourceContext(project_root=tmp_path, cache_dir=cache or tmp_path / "cache", options=options)


def put(s3: MotoS3, bucket: str, objects: dict[str, bytes]) -> None:
    client = s3.client()
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)


def spec(uri: str, **kw) -> SourceSpec:
    return SourceSpec.model_validate({"s3": uri, **kw})


def fresh_dest(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    return d


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- client --------------------------------------------------------------------------------------


def test_client_honours_environment_and_settings(s3_server: MotoS3):
    client = make_s3_client()
    assert client.meta.endpoint_url == s3_server.endpoint_url  # AWS_ENDPOINT_URL_S3
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert client.meta.config.connect_timeout == 5.0
    other = make_s3_client(
        {
            "endpoint_url": "http://127.0.0.1:1",
            "region": "eu-west-1",
            "max_attempts": 5,
            "retry_mode": "adaptive",
            "connect_timeout": 2,
        }
    )
    assert other.meta.endpoint_url == "http://127.0.0.1:1"
    assert other.meta.region_name == "eu-west-1"
    assert other.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 5}
    assert other.meta.config.connect_timeout == 2.0


def test_client_injection_and_credentials_refused(s3_server: MotoS3):
    ready = s3_server.client()
    assert make_s3_client(client=ready) is ready
    calls = []
    assert make_s3_client(client=lambda: calls.append(1) or ready) is ready and calls == [1]
    with pytest.raises(SourceError) as err:
        make_s3_client({"aws_secret_access_key": FAKE_CREDENTIALS[1]})
    assert "looks like a credential" in str(err.value) and FAKE_CREDENTIALS[1] not in str(err.value)


# -- materialize ---------------------------------------------------------------------------------


def test_single_object(s3_server: MotoS3, bucket: str, tmp_path: Path):
    put(s3_server, bucket, {"exec/DATA/train.csv": b"id,label\n1,0\n2,1\n"})
    dest = fresh_dest(tmp_path, "d")
    md = S3Source().materialize(spec(f"s3://{bucket}/exec/DATA/train.csv"), dest, ctx_for(tmp_path))
    assert md.path == dest
    assert (dest / "train.csv").read_bytes() == b"id,label\n1,0\n2,1\n"
    assert md.files == [dest / "train.csv"] and md.bytes == 17
    assert md.extra["downloaded"] == 1 and md.extra["prefix"] is False


def test_single_object_as_default_file(s3_server: MotoS3, bucket: str, tmp_path: Path):
    put(s3_server, bucket, {"exec/hp/params": b'{"eta": 0.1}'})
    dest = fresh_dest(tmp_path, "d")
    md = S3Source().materialize(
        spec(f"s3://{bucket}/exec/hp/params"), dest, ctx_for(tmp_path), default_file="hyperparameters.json"
    )
    assert md.path == dest / "hyperparameters.json"
    assert json.loads(md.path.read_text()) == {"eta": 0.1}
    assert sorted(p.name for p in dest.iterdir()) == ["hyperparameters.json"]


def test_prefix_downloads_a_folder_with_nested_keys(s3_server: MotoS3, bucket: str, tmp_path: Path):
    put(
        s3_server,
        bucket,
        {
            "exec/Pre/out/part-0.csv": b"a\n1\n",
            "exec/Pre/out/sub/part-1.csv": b"a\n2\n",
            "exec/Pre/out/sub/deeper/meta.json": b"{}",
            "exec/Pre/out/": b"",  # a console "folder" marker: skipped
            "exec/Pre/out_other/x.csv": b"not mine",  # shares the string prefix, not the folder
        },
    )
    for i, uri in enumerate([f"s3://{bucket}/exec/Pre/out/", f"s3://{bucket}/exec/Pre/out"]):
        dest = fresh_dest(tmp_path, f"d{i}")
        md = S3Source().materialize(spec(uri), dest, ctx_for(tmp_path), default_file="absent.csv")
        assert md.path == dest
        got = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
        assert got == ["part-0.csv", "sub/deeper/meta.json", "sub/part-1.csv"]
        assert (dest / "sub" / "part-1.csv").read_bytes() == b"a\n2\n"
        assert md.extra["objects"] == 3 and md.extra["prefix"] is True


def test_cache_second_run_downloads_nothing_until_an_object_changes(
    s3_server: MotoS3, bucket: str, tmp_path: Path, capsys
):
    put(s3_server, bucket, {f"run/out/part-{i}.csv": f"v1 {i}\n".encode() * 1000 for i in range(4)})
    uri = f"s3://{bucket}/run/out/"
    cache = tmp_path / "shared-cache"
    source = S3Source()
    counts = []

    def run(name: str):
        s3_server.reset_counts()
        md = source.materialize(spec(uri), fresh_dest(tmp_path, name), ctx_for(tmp_path, cache))
        counts.append(
            (name, s3_server.count("GetObject", path_contains=bucket), s3_server.count(path_contains=bucket))
        )
        return md

    first = run("first")
    second = run("second")
    assert counts[0][1] == 4 and first.extra["downloaded"] == 4
    assert counts[1][1] == 0 and second.extra["from_cache"] == 4  # nothing downloaded
    assert counts[1][2] == 1  # one ListObjectsV2, nothing else
    assert (tmp_path / "second" / "part-2.csv").read_bytes() == b"v1 2\n" * 1000

    put(s3_server, bucket, {"run/out/part-2.csv": b"v2 changed\n"})
    third = run("third")
    assert counts[2][1] == 1 and third.extra["downloaded"] == 1 and third.extra["from_cache"] == 3
    assert (tmp_path / "third" / "part-2.csv").read_bytes() == b"v2 changed\n"
    assert third.extra["data_version"] != second.extra["data_version"]
    with capsys.disabled():
        print(f"\n[s3 cache] GetObject / all requests per run: {counts}")


def test_object_changed_mid_download(s3_server: MotoS3, bucket: str, tmp_path: Path):
    key = "exec/Train/model/model.tar.gz"
    put(s3_server, bucket, {key: b"version 1" * 100})
    writer = s3_server.client()
    client = s3_server.client()

    def overwrite(**_):  # another writer replaces the object between the listing and the GET
        writer.put_object(Bucket=bucket, Key=key, Body=b"version 2" * 100)

    client.meta.events.register("before-call.s3.GetObject", overwrite)

    dest = fresh_dest(tmp_path, "d")
    with pytest.raises(ObjectChangedError) as err:
        S3Source().materialize(spec(f"s3://{bucket}/{key}"), dest, ctx_for(tmp_path, s3_client=client))
    message = str(err.value)
    assert message.startswith(f"s3://{bucket}/{key}: the object changed while it was being downloaded")
    assert "run again" in message and "\n" not in message
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []  # no partial file in the run or the cache


# -- errors --------------------------------------------------------------------------------------


def _denied_user(s3: MotoS3) -> tuple[str, str]:
    iam = s3.client("iam")
    name = f"denied-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)  # no policy: every S3 action is denied
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


DENIED_SECRETS: list[str] = []


@contextlib.contextmanager
def scenario(name: str, s3: MotoS3, bucket: str, monkeypatch: pytest.MonkeyPatch):
    """Yield (uri, options, expected phrase) for one failure."""
    if name == "missing_bucket":
        yield f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/x/", {}, "does not exist at " + s3.endpoint_url
    elif name == "missing_key":
        put(s3, bucket, {"exec/other.csv": b"x"})
        yield f"s3://{bucket}/exec/missing.csv", {}, "no object and no objects under this prefix"
    elif name == "empty_prefix":
        yield f"s3://{bucket}/exec/EmptyNode/out/", {}, "no objects under this prefix"
    elif name == "access_denied":
        put(s3, bucket, {"secret/data.csv": b"x"})
        key_id, secret = _denied_user(s3)
        DENIED_SECRETS[:] = [key_id, secret]
        denied = s3.client(aws_access_key_id=key_id, aws_secret_access_key=secret)
        with s3.iam_enforced():
            yield f"s3://{bucket}/secret/data.csv", {"s3_client": lambda: denied}, "access denied"
    elif name == "no_credentials":
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(var)
        yield f"s3://{bucket}/any.csv", {}, "no AWS credentials found"
    elif name == "unreachable":
        endpoint = f"http://127.0.0.1:{closed_port()}"
        yield (
            f"s3://{bucket}/any.csv",
            {"s3": {"endpoint_url": endpoint}},
            f"cannot reach the S3 endpoint {endpoint}",
        )
    elif name == "connect_timeout":
        with unresponsive_endpoint() as endpoint:  # TCP connect hangs: the connect timeout decides
            yield (
                f"s3://{bucket}/any.csv",
                {"s3": {"endpoint_url": endpoint, "connect_timeout": 0.5}},
                f"cannot reach the S3 endpoint {endpoint}",
            )
    elif name == "missing_profile":
        yield (
            f"s3://{bucket}/any.csv",
            {"s3": {"profile": "no-such-profile"}},
            "AWS profile 'no-such-profile' does not exist",
        )
    else:  # pragma: no cover
        raise AssertionError(name)


SCENARIOS = [
    "missing_bucket",
    "missing_key",
    "empty_prefix",
    "access_denied",
    "no_credentials",
    "unreachable",
    "connect_timeout",
    "missing_profile",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_error_messages(
    name: str, s3_server: MotoS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with scenario(name, s3_server, bucket, monkeypatch) as (uri, options, phrase):
        t0 = time.monotonic()
        problems = S3Source().check(spec(uri), ctx_for(tmp_path, **options))
        check_s = time.monotonic() - t0
        with pytest.raises(SourceError) as err:
            S3Source().materialize(spec(uri), fresh_dest(tmp_path, "d"), ctx_for(tmp_path, **options))
    assert len(problems) == 1 and problems[0] == str(err.value)
    message = problems[0]
    assert message.startswith(uri + ": ") and phrase in message, message
    assert "\n" not in message and ". " not in message and message.endswith(".")  # one sentence
    assert check_s < 10, f"check took {check_s:.1f}s"
    assert not any(tmp_path.rglob("*.part"))


def test_credentials_never_appear_in_messages_logs_or_reprs(
    s3_server: MotoS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="script_testing")
    texts: list[str] = []
    for name in [*SCENARIOS, "ok"]:
        with monkeypatch.context() as mp:
            if name == "ok":
                put(s3_server, bucket, {"ok/a.csv": b"x"})
                ctx = ctx_for(tmp_path, s3={"max_workers": 2})
                source = S3Source()
                md = source.materialize(spec(f"s3://{bucket}/ok/"), fresh_dest(tmp_path, "ok"), ctx)
                texts += [repr(md), repr(source), repr(ctx.options), md.description]
                continue
            with scenario(name, s3_server, bucket, mp) as (uri, options, _):
                ctx = ctx_for(tmp_path, **options)
                texts += S3Source().check(spec(uri), ctx)
                try:
                    S3Source().materialize(spec(uri), fresh_dest(tmp_path, f"d-{name}"), ctx)
                except SourceError as exc:
                    texts += [str(exc), repr(exc), exc.what, exc.hint or ""]
    texts.append(caplog.text)
    secrets = [*FAKE_CREDENTIALS, *DENIED_SECRETS]
    assert len(DENIED_SECRETS) == 2
    blob = "\n".join(texts)
    assert len(texts) > 20
    for secret in secrets:
        assert secret not in blob


# -- bounded memory ------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys, threading, time, tracemalloc
    from pathlib import Path
    import psutil
    from script_testing.config.project import SourceSpec
    from script_testing.sources.base import SourceContext
    from script_testing.sources.s3 import S3Source

    uri, dest, cache = sys.argv[1:4]
    source, spec = S3Source(), SourceSpec(s3=uri)
    ctx = SourceContext(project_root=Path(dest), cache_dir=Path(cache))
    assert source.check(spec, ctx) == []            # warm: imports, client, connection pool
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak, stop = [base], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.002)
    sampler = threading.Thread(target=sample)
    sampler.start()
    tracemalloc.start()
    t0 = time.monotonic()
    md = source.materialize(spec, Path(dest), ctx)
    seconds = time.monotonic() - t0
    _, py_peak = tracemalloc.get_traced_memory()
    stop.set(); sampler.join()
    peak_download = peak[0] - base
    # control: the same measurement sees a whole-file read (so a small figure above is real)
    tracemalloc.stop()
    base2, peak[0] = proc.memory_info().rss, 0
    stop.clear(); sampler = threading.Thread(target=sample); sampler.start()
    data = Path(md.files[0]).read_bytes()
    time.sleep(0.05); stop.set(); sampler.join()
    control = peak[0] - base2
    del data
    print(json.dumps({"rss_growth": peak_download, "py_peak": py_peak, "bytes": md.bytes, "seconds": seconds,
                      "control_growth": control, "file": str(md.files[0])}))
""")


def test_100mb_object_downloads_with_bounded_memory(s3_server: MotoS3, bucket: str, tmp_path: Path, capsys):
    size = 100 * 1024 * 1024
    src = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(src, "wb") as fh:
        block = os.urandom(1024 * 1024)
        for i in range(100):
            chunk = block[:-4] + i.to_bytes(4, "big")
            digest.update(chunk)
            fh.write(chunk)
    s3_server.client().upload_file(str(src), bucket, "big/model.bin")
    src.unlink()
    dest = fresh_dest(tmp_path, "d")
    # The client runs in a child process: this process hosts moto, which holds the object in memory.
    out = subprocess.run(
        [sys.executable, "-c", CHILD, f"s3://{bucket}/big/model.bin", str(dest), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["bytes"] == size
    got = hashlib.sha256()
    with open(result["file"], "rb") as fh:
        while chunk := fh.read(1 << 20):
            got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()
    mb = 1024 * 1024
    with capsys.disabled():
        print(
            f"\n[s3 memory] 100 MB download: peak RSS growth {result['rss_growth'] / mb:.1f} MB, "
            f"Python heap peak {result['py_peak'] / mb:.1f} MB, {result['seconds']:.1f}s "
            f"(control: reading the file whole grows RSS by {result['control_growth'] / mb:.1f} MB)"
        )
    assert result["control_growth"] > 90 * mb
    assert result["rss_growth"] < 25 * mb
    assert result["py_peak"] < 10 * mb


# -- deep dive -----------------------------------------------------------------------------------

WANTED = [
    ("XGBoostTraining", "input_path", "TabularPreprocessing_training", "processed_data"),
    ("XGBoostTraining", "hyperparameters_s3_uri", "HyperparameterPrep", "hyperparameters"),
    ("ModelEval", "model_input", "XGBoostTraining", "model_output"),
    ("ModelEval", "eval_data", "TabularPreprocessing_calibration", "processed_data"),
]


def test_deep_dive_mapping():
    layout = execution_layout("s3://bucket/exec-123/")
    assert layout("Node", "out") == "s3://bucket/exec-123/Node/out/"
    custom = execution_layout("s3://bucket/exec-123", "{prefix}/steps/{node}/outputs/{output}")
    assert custom("Node", "out") == "s3://bucket/exec-123/steps/Node/outputs/out"
    sources = deep_dive_sources("s3://bucket/exec-123", None, WANTED)
    assert {k: v.s3 for k, v in sources.items()} == {
        "XGBoostTraining.input_path": "s3://bucket/exec-123/TabularPreprocessing_training/processed_data/",
        "XGBoostTraining.hyperparameters_s3_uri": "s3://bucket/exec-123/HyperparameterPrep/hyperparameters/",
        "ModelEval.model_input": "s3://bucket/exec-123/XGBoostTraining/model_output/",
        "ModelEval.eval_data": "s3://bucket/exec-123/TabularPreprocessing_calibration/processed_data/",
    }
    assert all(v.kind == "s3" for v in sources.values())
    with pytest.raises(Exception, match="unknown placeholder"):
        execution_layout("s3://bucket/x", "{prefix}/{nod}/{output}/")


def test_deep_dive_layout_check_and_materialize(s3_server: MotoS3, bucket: str, tmp_path: Path):
    prefix = f"s3://{bucket}/exec-7"
    put(
        s3_server,
        bucket,
        {
            "exec-7/TabularPreprocessing_training/processed_data/part-0.csv": b"id,label\n1,0\n",
            "exec-7/HyperparameterPrep/hyperparameters/hyperparameters.json": b"{}",
        },
    )
    client = s3_server.client()
    problems = check_layout(client, prefix, None, WANTED)
    assert len(problems) == 1
    msg = problems[0]
    assert msg.startswith(f"{prefix}/: 2 of 4 expected execution outputs are missing: ")
    assert f"XGBoostTraining.model_output ({prefix}/XGBoostTraining/model_output/)" in msg
    assert (
        f"TabularPreprocessing_calibration.processed_data ({prefix}/TabularPreprocessing_calibration/processed_data/)"
        in msg
    )
    assert "TabularPreprocessing_training" not in msg and "\n" not in msg
    assert check_layout(client, prefix, None, WANTED[:2]) == []
    missing_bucket = check_layout(client, f"s3://nope-{uuid.uuid4().hex[:8]}/e", None, WANTED)
    assert len(missing_bucket) == 1 and "does not exist" in missing_bucket[0]

    sources = deep_dive_sources(prefix, None, WANTED[:1])
    dest = fresh_dest(tmp_path, "d")
    md = S3Source().materialize(
        sources["XGBoostTraining.input_path"], dest, ctx_for(tmp_path, s3_client=client)
    )
    assert (md.path / "part-0.csv").read_bytes() == b"id,label\n1,0\n"


# -- publish -------------------------------------------------------------------------------------


def test_publish_run_round_trip(s3_server: MotoS3, bucket: str, tmp_path: Path):
    run = tmp_path / "runs" / "xgboost_simple" / "20261121-0001"
    files = {
        "report.json": b'{"success": true}',
        "report.html": b"<html></html>",
        "TabularPreprocessing_training/processed_data/part-0.csv": b"id\n1\n",
        "XGBoostTraining/model_output/model.bin": os.urandom(12 * 1024 * 1024),  # multipart
    }
    for rel, body in files.items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_bytes(body)
    s3_server.reset_counts()
    client = s3_server.client()
    uris = publish_run(
        run,
        f"s3://{bucket}/published/run-1",
        client,
        multipart_threshold=5 * 1024 * 1024,
        multipart_chunksize=5 * 1024 * 1024,
    )
    assert uris == sorted(f"s3://{bucket}/published/run-1/{rel}" for rel in files)
    assert s3_server.count("CreateMultipartUpload", path_contains=bucket) == 1
    assert s3_server.count("UploadPart", path_contains=bucket) == 3
    head = client.head_object(Bucket=bucket, Key="published/run-1/report.html")
    assert head["ContentType"] == "text/html"
    # round trip: the published folder reads back as an s3 source
    dest = fresh_dest(tmp_path, "back")
    S3Source().materialize(spec(f"s3://{bucket}/published/run-1/"), dest, ctx_for(tmp_path, s3_client=client))
    for rel, body in files.items():
        assert (dest / rel).read_bytes() == body


def test_cache_location_and_hardlink_option(
    s3_server: MotoS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from script_testing.s3 import default_cache_dir

    monkeypatch.setenv("SCRIPT_TESTING_S3_CACHE", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache"
    put(s3_server, bucket, {"h/a.csv": b"a\n1\n"})
    ctx = SourceContext(project_root=tmp_path, options={"s3": {"link": "hardlink"}})  # no cache_dir: env
    md = S3Source().materialize(spec(f"s3://{bucket}/h/a.csv"), fresh_dest(tmp_path, "d"), ctx)
    cached = [p for p in (tmp_path / "env-cache").rglob("*") if p.is_file()]
    # "hardlink" is accepted but never shares the inode: a script changing its input must not change the cache
    assert len(cached) == 1 and cached[0].stat().st_ino != md.files[0].stat().st_ino
    assert cached[0].read_bytes() == md.files[0].read_bytes() == b"a\n1\n"
    nocache = S3Source().materialize(
        spec(f"s3://{bucket}/h/a.csv"), fresh_dest(tmp_path, "e"), ctx_for(tmp_path, s3={"cache": False})
    )
    assert nocache.extra["downloaded"] == 1 and not (tmp_path / "cache").exists()
