"""Encrypt a backup as it is written, with AES-256-GCM in 1 MiB chunks (issue 19.9).

The key comes from the BACKUP_KEY environment variable: 32 random bytes in URL-safe base64
(`python manage.py backup --new-key` prints one). Every chunk is authenticated together with
its number and a "last chunk" flag, so a changed, reordered or cut-off file is refused.
File layout: MAGIC, an 8-byte random nonce prefix, then chunks of
[4-byte length][1-byte last flag][ciphertext + 16-byte tag].
"""

import base64
import os
import struct

MAGIC = b"XDBACKUP1\n"
CHUNK = 1024 * 1024
_HEADER = struct.Struct(">IB")


class BackupKeyError(ValueError):
    """BACKUP_KEY is missing or malformed; the message is shown to the operator."""


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def load_key(value: str) -> bytes:
    """The 32-byte key from its base64 text; BackupKeyError with a Chinese message otherwise."""
    if not value:
        raise BackupKeyError("未设置 BACKUP_KEY 环境变量。")
    try:
        key = base64.urlsafe_b64decode(value.strip().encode())
    except (ValueError, TypeError) as exc:
        raise BackupKeyError("BACKUP_KEY 格式错误：应为 32 字节密钥的 base64 编码。") from exc
    if len(key) != 32:
        raise BackupKeyError("BACKUP_KEY 格式错误：应为 32 字节密钥的 base64 编码。")
    return key


def _aad(prefix: bytes, index: int, last: bool) -> bytes:
    return MAGIC + prefix + struct.pack(">QB", index, last)


class EncryptingWriter:
    """A write-only file object that encrypts into `raw` (for tarfile's streaming mode)."""

    def __init__(self, raw, key: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._raw, self._aead = raw, AESGCM(key)
        self._prefix = os.urandom(8)
        self._buffer = bytearray()
        self._index = 0
        raw.write(MAGIC + self._prefix)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, plain: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._index)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._prefix, self._index, last))
        self._raw.write(_HEADER.pack(len(sealed), last) + sealed)
        self._index += 1

    def close(self) -> None:
        """Write the last chunk (the file is incomplete without it)."""
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()


class DecryptingReader:
    """A read-only file object over an encrypted backup; ValueError if it was altered or cut."""

    def __init__(self, raw, key: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._raw, self._aead = raw, AESGCM(key)
        if raw.read(len(MAGIC)) != MAGIC:
            raise ValueError("不是加密的备份文件")
        self._prefix = raw.read(8)
        self._buffer = b""
        self._index = 0
        self._done = False

    def _next_chunk(self) -> None:
        from cryptography.exceptions import InvalidTag

        header = self._raw.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise ValueError("备份文件不完整（缺少结尾）。")
        size, last = _HEADER.unpack(header)
        sealed = self._raw.read(size)
        nonce = self._prefix + struct.pack(">I", self._index)
        try:
            self._buffer += self._aead.decrypt(
                nonce, sealed, _aad(self._prefix, self._index, bool(last))
            )
        except InvalidTag as exc:
            raise ValueError("备份文件校验失败：密钥不对，或文件已被修改。") from exc
        self._index += 1
        self._done = bool(last)

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._next_chunk()
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def is_encrypted(path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC
