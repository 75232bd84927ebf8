"""tf.config: devices and execution settings."""
import collections

from .. import _core
from ..engine.function import functions_run_eagerly, run_functions_eagerly  # noqa: F401

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])

_visible = None


def list_physical_devices(device_type=None):
    """The CPU, plus GPUs once the CUDA extension is built and a GPU is present."""
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    return [LogicalDevice(d.name.replace("physical_device", "device"), d.device_type)
            for d in list_physical_devices(device_type)]


def get_visible_devices(device_type=None):
    devs = list_physical_devices(device_type) if _visible is None else _visible
    return [d for d in devs if device_type is None or d.device_type == device_type.upper()]


def set_visible_devices(devices, device_type=None):
    global _visible
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    _visible = list(devices)


class threading:
    """Threads used by the C kernels (OpenMP)."""

    @staticmethod
    def set_intra_op_parallelism_threads(n):
        if n:
            _core.set_num_threads(int(n))

    @staticmethod
    def get_intra_op_parallelism_threads():
        return _core.get_num_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(n):
        pass

    @staticmethod
    def get_inter_op_parallelism_threads():
        return 1


class experimental:
    @staticmethod
    def set_memory_growth(device, enable):
        if device.device_type != "GPU":
            raise ValueError("Cannot set memory growth on non-GPU devices")

    @staticmethod
    def get_memory_growth(device):
        return False

    @staticmethod
    def get_device_details(device):
        return {}

    @staticmethod
    def enable_tensor_float_32_execution(enabled):
        pass

    @staticmethod
    def tensor_float_32_execution_enabled():
        return True
