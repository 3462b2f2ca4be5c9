"""The one check behind every upload (intake materials, the online hall's supplies and corrections, the back
office's result documents): size, type by content (PDF, JPEG, PNG, OFD) and an OFD's unpacked size."""

import zipfile
import zlib

from django.conf import settings
from django.utils.translation import gettext as _

FILE_KINDS = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "ofd": "application/ofd"}


def max_upload_bytes() -> int:
    return int(getattr(settings, "INTAKE_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def sniff(fileobj) -> str | None:
    """The kind of a file by its content: "pdf", "jpg", "png", "ofd" (a zip holding OFD.xml), else None."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            fileobj.seek(0)
        if any(name.lstrip("/").upper() == "OFD.XML" for name in names):
            return "ofd"
    return None


# An OFD is a zip: what it holds unpacked is bounded, as its upload is. At most this many times the upload limit in
# all, and no member more than this many times its packed size (scans do not compress; page XML some tens of times;
# a zip bomb thousands). Members under a megabyte are not held to the ratio: tiny XML can compress very well.
OFD_MAX_UNPACKED_FACTOR = 5
OFD_MAX_RATIO = 100
OFD_MAX_MEMBERS = 10_000
_RATIO_FREE_BYTES = 1024 * 1024


def ofd_problem(fileobj) -> str | None:
    """Why an OFD (a zip) cannot be taken though it lists OFD.xml, or None: too many members, more unpacked than
    OFD_MAX_UNPACKED_FACTOR × the upload limit, a member packed over OFD_MAX_RATIO : 1, or members that unpack to
    other sizes or checksums than the archive declares (read through to check, never more than the bound)."""
    budget = OFD_MAX_UNPACKED_FACTOR * max_upload_bytes()
    too_big = _("文件“%(name)s”解压后过大（OFD 文件解压后最多 %(mb)d MB，且压缩比不超过 %(ratio)d:1），不予接收。")
    damaged = _("文件“%(name)s”是损坏的 OFD 文件（解压后与其声明的内容不符），不予接收。")
    name = str(getattr(fileobj, "name", "") or "file")[-255:]
    args = {"name": name, "mb": budget // 1048576, "ratio": OFD_MAX_RATIO}
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if len(members) > OFD_MAX_MEMBERS or declared > budget:
                return too_big % args
            for member in members:
                if member.file_size > _RATIO_FREE_BYTES and member.file_size > OFD_MAX_RATIO * max(
                    member.compress_size, 1
                ):
                    return too_big % args
            for member in members:  # zipfile stops at the declared size and checks the CRC at the end
                with archive.open(member) as stream:
                    while stream.read(1024 * 1024):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError):
        return damaged % args  # NotImplementedError: a compression method zipfile does not know
    finally:
        fileobj.seek(0)
    return None


def upload_problem(uploaded_file) -> str | None:
    """Why an uploaded file cannot be taken, or None: larger than INTAKE_MAX_UPLOAD_MB, empty, not a PDF,
    JPEG, PNG or OFD by its content, or an OFD that unpacks to too much (ofd_problem). The one check behind every
    upload (intake materials, the online hall's supplies and corrections, the back office's result documents)."""
    name = str(getattr(uploaded_file, "name", "") or "file")[-255:]
    size, limit = uploaded_file.size, max_upload_bytes()
    if size > limit:
        return _("文件“%(name)s”大小 %(size).1f MB，超过上限 %(limit)d MB。") % {
            "name": name, "size": size / 1048576, "limit": limit // 1048576,
        }  # fmt: skip
    if size == 0:
        return _("文件“%(name)s”是空文件。") % {"name": name}
    kind = sniff(uploaded_file)
    if kind is None:
        return _("文件“%(name)s”的内容不是 PDF、JPEG、PNG 或 OFD（按文件内容识别，与扩展名无关）。") % {"name": name}
    if kind == "ofd":
        return ofd_problem(uploaded_file)
    return None
