"""The job's largest arrays in files mapped into memory (``--spill-dir``), for corpora
larger than the machine's memory.

A grouping job holds about 10 KB of arrays an article: term counts while the TF-IDF
weights are fitted, then the sentence vectors by column, the article vectors and the
shingle sets that verification reads. Made here, each of these lives in a file of its
own under the folder given, mapped into the job's memory: the kernel keeps in RAM the
pages being read and writes the others back to the file when memory runs short, where
arrays in ordinary memory would have had nowhere to go. The arrays are the same numpy
arrays either way; only where their bytes live changes.

The files are unlinked as soon as they are made, so they disappear when their array is
released, however the job ends. Their space is reserved when they are made: a full disk
is a :class:`SpillError` naming the folder, not a crash when a page is first written.
"""

from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np

class SpillError(OSError):
    """The spill folder cannot take the job's arrays (full, or not writable)."""


#: Arrays smaller than this stay in ordinary memory (a file per small array costs more than it saves).
MIN_BYTES = 1 << 20


class Spill:
    """Where a job's large arrays are made: in ordinary memory (``folder=None``), or in files
    under ``folder`` mapped into memory (arrays of ``min_bytes`` or more; default :data:`MIN_BYTES`)."""

    def __init__(self, folder: str | os.PathLike | None = None, min_bytes: int | None = None) -> None:
        self.folder = None if folder is None else os.fspath(folder)
        if self.folder is not None and not os.path.isdir(self.folder):
            raise NotADirectoryError(f"{self.folder}: the spill folder does not exist or is not a folder")
        self.min_bytes = MIN_BYTES if min_bytes is None else min_bytes
        self.files = 0  # arrays made in files so far, and their bytes
        self.bytes = 0

    def __repr__(self) -> str:
        return f"Spill({self.folder!r})"

    def empty(self, shape, dtype) -> np.ndarray:
        """A new array of ``shape`` (an int, or a tuple), contents undefined, as :func:`numpy.empty`."""
        dtype = np.dtype(dtype)
        shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(k) for k in shape)
        count = int(np.prod(shape))
        size = count * dtype.itemsize
        if self.folder is None or size < self.min_bytes or size == 0:  # a file cannot map nothing
            return np.empty(shape, dtype=dtype)
        try:
            with tempfile.TemporaryFile(dir=self.folder, prefix="dedup-") as fh:
                os.posix_fallocate(fh.fileno(), 0, size)
                mapped = mmap.mmap(fh.fileno(), size)  # the mapping keeps the (unlinked) file
        except OSError as exc:
            raise SpillError(exc.errno, f"{self.folder}: cannot hold {size:,} bytes of the job's arrays "
                                        f"({exc.strerror})") from None
        self.files += 1
        self.bytes += size
        return np.frombuffer(mapped, dtype=dtype, count=count).reshape(shape)

    @staticmethod
    def expect(arrays, random: bool) -> None:
        """Tell the system how ``arrays`` made in files will be read next: here and there
        (``random``: a page not in memory is read alone) or in runs (the default read-ahead, 8 MB
        a fault on this machine's disk, which loads a block of verification's vectors in a few
        reads but read 1 GB/s for a few pairs at a time while grouping checked links).
        Arrays in ordinary memory are left as they are."""
        advice = getattr(mmap, "MADV_RANDOM" if random else "MADV_NORMAL", None)
        if advice is None:
            return
        for a in arrays:
            while isinstance(a, (np.ndarray, memoryview)):  # views, down to the buffer they were made on
                a = a.base if isinstance(a, np.ndarray) else a.obj
            if isinstance(a, mmap.mmap):
                a.madvise(advice)

    def keep(self, array: np.ndarray) -> np.ndarray:
        """``array`` itself in ordinary memory, or a copy of it in a file."""
        if self.folder is None or array.nbytes < self.min_bytes:
            return array
        out = self.empty(array.shape, array.dtype)
        out[...] = array
        return out

    def concatenate(self, arrays: list, consume: bool = False) -> np.ndarray:
        """:func:`numpy.concatenate` along the first axis, the result made here. With ``consume``
        each part is released from the list once copied, so the parts and the whole are never
        both held whole (the list is left empty)."""
        if self.folder is None and not consume:
            return np.concatenate(arrays)
        out = self.empty((sum(len(a) for a in arrays),) + np.shape(arrays[0])[1:], np.result_type(*arrays))
        at = 0
        for k in range(len(arrays)):
            part = arrays[k]
            if consume:
                arrays[k] = None
            out[at : at + len(part)] = part
            at += len(part)
            del part
        if consume:
            arrays.clear()
        return out

    def insert(self, array: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
        """:func:`numpy.insert` along the first axis (``at``: ascending places in ``array``), made here."""
        if self.folder is None:
            return np.insert(array, at, values, axis=0)
        places = np.asarray(at, dtype=np.int64) + np.arange(len(at))  # where each value lands in the result
        out = self.empty((len(array) + len(places),) + array.shape[1:], array.dtype)
        new = np.zeros(len(out), dtype=bool)
        new[places] = True
        out[places] = values
        out[~new] = array
        return out


#: Every array in ordinary memory (the default).
IN_MEMORY = Spill()
