"""A stand-in for PyTorch, for testing the agent's GPU benchmark program without a GPU.

Nothing is computed: each operation advances a simulated clock by the time a device with the
rates below would take, and CUDA events read that clock, so the program's figures are known
answers. FP32 products run 8 times faster when TF32 is allowed, so a program that forgot to
disable TF32 reports the wrong FP32 figure. FAKE_TORCH_GPUS sets the device count (default 2).
"""
import os

__version__ = "2.5.1+cu124"

# Simulated device rates: bytes or floating-point operations per second.
MEMORY_BYTES_PER_SECOND = 2.0e12      # device copy, read and write bytes counted
FP32_FLOPS = 50.0e12
TF32_FLOPS = 400.0e12
FP16_FLOPS = 400.0e12
HOST_TO_DEVICE_BYTES_PER_SECOND = 25.0e9
DEVICE_TO_HOST_BYTES_PER_SECOND = 26.0e9

_clock = [0.0]


def _advance(seconds):
    _clock[0] += seconds


class _Namespace:
    pass


class dtype:
    def __init__(self, name, itemsize):
        self.name = name
        self.itemsize = itemsize


float32 = dtype("float32", 4)
float16 = dtype("float16", 2)
uint8 = dtype("uint8", 1)

version = _Namespace()
version.cuda = "12.4"

backends = _Namespace()
backends.cuda = _Namespace()
backends.cuda.matmul = _Namespace()
backends.cuda.matmul.allow_tf32 = True


class device:
    def __init__(self, kind, index=None):
        self.type = kind
        self.index = index


def _on_device(where):
    if where is None:
        return False
    if isinstance(where, str):
        return where.startswith("cuda")
    return where.type == "cuda"


class Tensor:
    def __init__(self, shape, dtype, on_device):
        self.shape = shape
        self.dtype = dtype
        self.on_device = on_device
        count = 1
        for side in shape:
            count *= side
        self.nbytes = count * dtype.itemsize

    def copy_(self, source, non_blocking=False):
        if self.on_device and source.on_device:
            _advance(2.0 * self.nbytes / MEMORY_BYTES_PER_SECOND)
        elif self.on_device:
            _advance(self.nbytes / HOST_TO_DEVICE_BYTES_PER_SECOND)
        elif source.on_device:
            _advance(self.nbytes / DEVICE_TO_HOST_BYTES_PER_SECOND)
        return self


def _shape(sizes):
    return tuple(int(size) for size in sizes)


def empty(*sizes, dtype=float32, device=None, pin_memory=False):
    return Tensor(_shape(sizes), dtype, _on_device(device))


def randn(*sizes, dtype=float32, device=None):
    return Tensor(_shape(sizes), dtype, _on_device(device))


def matmul(a, b, out=None):
    n, k = a.shape
    m = b.shape[1]
    if a.dtype is float16:
        rate = FP16_FLOPS
    elif backends.cuda.matmul.allow_tf32:
        rate = TF32_FLOPS
    else:
        rate = FP32_FLOPS
    _advance(2.0 * n * k * m / rate)
    return out if out is not None else Tensor((n, m), a.dtype, True)


class _Event:
    def __init__(self, enable_timing=False):
        self.time = None

    def record(self, stream=None):
        self.time = _clock[0]

    def synchronize(self):
        pass

    def elapsed_time(self, end):
        return (end.time - self.time) * 1000.0


cuda = _Namespace()
cuda.Event = _Event
cuda.is_available = lambda: True
cuda.device_count = lambda: int(os.environ.get("FAKE_TORCH_GPUS", "2"))
cuda.set_device = lambda where: None
cuda.synchronize = lambda where=None: None
cuda.empty_cache = lambda: None
cuda.get_device_name = lambda index=None: "Fake GPU %s" % index
cuda.mem_get_info = lambda index=None: (79 * (1 << 30), 80 * (1 << 30))
