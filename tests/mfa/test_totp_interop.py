"""Real peers: Debian's oathtool computes the codes, zbarimg reads the QR code the API returns.

Both are installed by .ci/run; locally a missing tool skips, under CI=true it fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bastion.mfa.totp.enrolment import qr_code
from tests.conftest import IN_CI
from tests.mfa.conftest import code_at
from tests.mfa.qr import svg_modules, write_png


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required under CI=true (apt-get install oathtool zbar-tools)")
        pytest.skip(f"{name} not installed")
    return path


def oathtool_code(secret: str, unix_time: float) -> str:
    result = subprocess.run([tool("oathtool"), "--totp", "-b", f"--now=@{int(unix_time)}", secret],
                            capture_output=True, text=True, check=True, timeout=10)
    return result.stdout.strip()


def zbar(png: Path) -> str:
    result = subprocess.run([tool("zbarimg"), "--quiet", "--raw", str(png)], capture_output=True, text=True,
                            check=True, timeout=10)
    return result.stdout.rstrip("\n")


def test_codes_from_oathtool_for_the_provisioned_secret_sign_in(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    code = oathtool_code(account["secret"], clock.now().timestamp())
    assert code == code_at(account["secret"], clock)
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code})
    assert answer.status_code == 200 and answer.json()["status"] == "authenticated", answer.text


def test_oathtool_confirms_the_setup(app_client, signed_in, clock) -> None:
    account = signed_in()
    setup = app_client.post("/v1/me/totp/setup", headers=account["headers"]).json()
    answer = app_client.post("/v1/me/totp/confirm", headers=account["headers"],
                             json={"code": oathtool_code(setup["secret"], clock.now().timestamp())})
    assert answer.status_code == 200 and len(answer.json()["backup_codes"]) == 10


def test_the_qr_code_returned_decodes_to_the_same_otpauth_uri(app_client, signed_in, tmp_path) -> None:
    setup = app_client.post("/v1/me/totp/setup", headers=signed_in()["headers"]).json()
    assert setup["qr_svg"].startswith("<svg") and setup["secret"] in setup["otpauth_uri"]
    returned = tmp_path / "returned.png"
    write_png(svg_modules(setup["qr_svg"]), returned)
    assert zbar(returned) == setup["otpauth_uri"]
    # And segno's own PNG of the same code reads the same.
    direct = tmp_path / "direct.png"
    qr_code(setup["otpauth_uri"]).save(str(direct), kind="png", scale=4)
    assert zbar(direct) == setup["otpauth_uri"]
