"""The engine: tensors, gradients, variables and traced functions over minikeras._core."""
