"""An OFD is a zip: one that merely lists OFD.xml but expands to far more than it weighs (a zip bomb) is refused by the
one upload check (intake.uploads.upload_problem), whatever door it came through."""

import io
import random
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.intake.uploads import upload_problem

OFD_XML = b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>'


def _ofd(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("OFD.xml", OFD_XML)
        for name, data in entries.items():
            archive.writestr(name, data)
    return SimpleUploadedFile("证照.ofd", buffer.getvalue(), content_type="application/ofd")


def test_a_real_ofd_is_accepted():
    page = b"<ofd:Page>" + "申请人 张三 ".encode() * 2000 + b"</ofd:Page>"  # text compresses well, within reason
    image = random.Random(7).randbytes(300_000)  # a scan: does not compress
    assert upload_problem(_ofd({"Doc_0/Pages/Page_0/Content.xml": page, "Doc_0/Res/image.jpg": image})) is None


def test_a_zip_bomb_is_refused():
    bomb = _ofd({"Doc_0/Res/big.bin": bytes(64 * 1024 * 1024)})  # 64 MiB of zeros: about 64 KB packed
    assert bomb.size < 1024 * 1024
    problem = upload_problem(bomb)
    assert problem is not None and "解压" in problem


def test_too_much_content_in_all_is_refused(settings):
    settings.INTAKE_MAX_UPLOAD_MB = 1  # at most 5 MB unpacked
    rng = random.Random(3)
    chunk = bytes(rng.choice(b"01") for _ in range(1_000_000))  # compresses about 7:1, well within the ratio
    upload = _ofd({f"Doc_0/Res/part{i}.bin": chunk for i in range(6)})
    assert upload.size < 1024 * 1024
    problem = upload_problem(upload)
    assert problem is not None and "解压" in problem


def test_sizes_the_archive_lies_about_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", OFD_XML)
        archive.writestr("Doc_0/Res/big.bin", bytes(8 * 1024 * 1024))
    data = bytearray(buffer.getvalue())
    # Declare 1 KB for the 8 MiB entry in its central directory record (uncompressed size at offset 24).
    record = data.rfind(b"PK\x01\x02")
    data[record + 24 : record + 28] = (1024).to_bytes(4, "little")
    problem = upload_problem(SimpleUploadedFile("x.ofd", bytes(data)))
    assert problem is not None


@pytest.mark.parametrize("entries", [{}, {"Doc_0/a.xml": b"<a/>"}])
def test_small_ofds_stay_accepted(entries):
    assert upload_problem(_ofd(entries)) is None
