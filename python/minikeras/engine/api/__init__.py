"""TensorFlow-style public functions, one module per op family."""
