"""Fuzz the identity-evidence checks (issue 18): any file gets an answer or a refusal with its
`evidence.*` reason — never another exception — and no file costs more than `CPU_BOUND` seconds.

    .venv/bin/python tests/recovery/fuzz_evidence.py --seconds 120                 # atheris if installed
    .venv/bin/python tests/recovery/fuzz_evidence.py --seconds 600 --deep          # + Pillow's parsers traced
    .venv/bin/python tests/recovery/fuzz_evidence.py --seconds 120 --engine hypothesis

Inputs start with one of the three accepted signatures (the first byte picks it), so every run
reaches the checks. Half of them are "amplified": a short unit repeated to hundreds of kilobytes,
the shape of the issue's `stream\\nendstream\\n` PDF, so work that grows faster than the size shows
up within a short run. Seeds: the files in corpus/ and the crafted files of nasty_files.py.
A finding is written to corpus/found-<sha256 prefix>.bin and the run exits 1; the tests
(test_evidence_cost.py) run every corpus file through the checks from then on.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bastion.errors import BastionError
from bastion.recovery.evidence import MAX_BYTES, check_evidence
from tests.recovery.nasty_files import CORPUS, small_corpus

CPU_BOUND = 1.0  # seconds of CPU one file may cost, whatever it holds (the checks' own budget is half)
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n")
AMPLIFIED_SIZE = 512 * 1024


class Finding(Exception):
    pass


def shape(data: bytes) -> bytes:
    """Fuzzer bytes -> a file: [signature choice][mode] rest; amplified mode repeats the rest."""
    if len(data) < 2:
        return SIGNATURES[0]
    signature, amplified, rest = SIGNATURES[data[0] % 3], data[1] & 1, data[2:]
    if amplified and rest:
        # The last bytes stay as a tail: "%%EOF" or an image's end can follow the repetitions.
        unit, tail = rest[: max(1, len(rest) - 8)], rest[max(1, len(rest) - 8):]
        rest = unit * (AMPLIFIED_SIZE // len(unit)) + tail
    return (signature + rest)[:MAX_BYTES]


def check_one(content: bytes) -> str:
    """The outcome for one file; raises Finding when the check broke a promise."""
    outcome, spent = _checked(content)
    if spent > CPU_BOUND:
        # The checks are deterministic: a file that costs more does so every time. A thread whose
        # virtual core the host held still, its clock running, does not (1.93 s once, for a file
        # that costs 0.07 s): the same file checked again tells them apart.
        _, again = _checked(content)
        if again > CPU_BOUND:
            raise Finding(f"{spent:.2f} s and {again:.2f} s of CPU for {len(content)} bytes")
    return outcome


def _checked(content: bytes) -> tuple[str, float]:
    """The outcome for one file and the CPU it cost; raises Finding for any other outcome."""
    # This thread's CPU, as the checks' own budget counts it: the process's also held, on a busy
    # run, the background threads of the services other tests left in this worker (1.68 s, once).
    started = time.thread_time()
    try:
        outcome = check_evidence(content).content_type
    except BastionError as refusal:
        if not refusal.code.startswith("evidence."):
            raise Finding(f"refused with {refusal.code}") from refusal
        outcome = refusal.code
    except Exception as error:  # anything else is what the fuzzer looks for
        raise Finding(f"{type(error).__name__}: {error}") from error
    return outcome, time.thread_time() - started


def save(content: bytes, why: str) -> Path:
    path = CORPUS / f"found-{hashlib.sha256(content).hexdigest()[:16]}.bin"
    path.write_bytes(content)
    print(f"FOUND ({why}): saved as {path}", file=sys.stderr)
    return path


def one_input(data: bytes) -> None:
    content = shape(data)
    try:
        check_one(content)
    except Finding as finding:
        save(content, str(finding))
        raise


def seeds() -> list[bytes]:
    files = [*small_corpus().values(), *(path.read_bytes() for path in sorted(CORPUS.glob("*.bin")))]
    # As fuzzer input: the signature's index, "not amplified", then the bytes after the signature.
    encoded = []
    for content in files:
        index = next((i for i, sig in enumerate(SIGNATURES) if content.startswith(sig[:3])), 0)
        encoded.append(bytes([index, 0]) + content[len(SIGNATURES[index]):])
    return encoded


def _instrument_the_checks(atheris) -> None:  # type: ignore[no-untyped-def]
    """Coverage for the checks' own code only (instrumenting everything loaded takes minutes)."""
    import inspect

    from bastion.recovery import evidence, evidence_formats

    for module in (evidence_formats, evidence):
        for name, value in list(vars(module).items()):
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                setattr(module, name, atheris.instrument_func(value))
    formats = tuple((signature, kind, getattr(evidence_formats, check.__name__))
                    for signature, kind, check in evidence_formats.FORMATS)
    evidence_formats.FORMATS = evidence.FORMATS = formats  # type: ignore[attr-defined]
    globals()["check_evidence"] = evidence.check_evidence


def run_atheris(seconds: int, deep: bool) -> int:
    import atheris

    with tempfile.TemporaryDirectory(prefix="evidence-fuzz-") as work:
        for number, seed in enumerate(seeds()):
            Path(work, f"seed-{number}").write_bytes(seed)
        if deep:
            atheris.instrument_all()  # Pillow's parsers too: minutes to start, more to explore
        else:
            _instrument_the_checks(atheris)
        atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-timeout=10", "-max_len=65536",
                       f"-artifact_prefix={work}/", work], one_input)
        atheris.Fuzz()  # exits the process: 0 when the time is up, non-zero on a finding
    return 0


def run_hypothesis(seconds: int) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    deadline = time.monotonic() + seconds
    inputs = st.one_of(st.sampled_from(seeds()), st.binary(min_size=2, max_size=4096))

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def batch(data: bytes) -> None:
        if time.monotonic() < deadline:
            one_input(data)

    rounds = 0
    while time.monotonic() < deadline:
        try:
            batch()
        except Finding:
            return 1
        rounds += 1
    print(f"hypothesis: {rounds} rounds of 200 inputs in {seconds} s, nothing found", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--deep", action="store_true",
                        help="atheris: also trace Pillow's own parsers (slow to start; for long runs)")
    parser.add_argument("--engine", choices=("atheris", "hypothesis"), default=None,
                        help="default: atheris when installed, else hypothesis")
    options = parser.parse_args()
    engine = options.engine
    if engine is None:
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    print(f"fuzzing the evidence checks with {engine} for {options.seconds} s", file=sys.stderr)
    return run_atheris(options.seconds, options.deep) if engine == "atheris" else run_hypothesis(options.seconds)


if __name__ == "__main__":
    sys.exit(main())
