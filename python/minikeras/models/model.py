"""keras.Model: a Layer with layers.  `Model(inputs, outputs)` builds a graph of
layer calls (a Functional model); subclasses define `call` (and usually `__init__`
and `build`).  The graph machinery lives here (guarded by `_is_graph_network`) so
that a subclass passing inputs/outputs to `super().__init__` is functional too."""
import numpy as np

from ..trainers.trainer import Trainer
from .. import _core
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..layers.base import Layer, _default, _dedup, init_scope
from ..layers.node import KerasTensor, flatten, map_structure, pack_sequence_as, is_nested

C = _core.ops

_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` or "
              "by calling the model on a batch of data.")


def _graph():
    from . import functional
    return functional


def _is_functional_args(args, kwargs):
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_args(args, kwargs):
            from .functional import Functional
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if _is_functional_args(args, kwargs):
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) > 1 else kwargs.pop("outputs")
            allowed = {"name", "trainable"}
            for kw in kwargs:
                if kw not in allowed:
                    raise TypeError(f"Keyword argument not understood: {kw}")
            Layer.__init__(self, name=kwargs.get("name"), trainable=kwargs.get("trainable", True),
                           autocast=False)
            self._init_model_state()
            self._init_graph_network(inputs, outputs)
        else:
            if args:
                raise TypeError(f"Model.__init__ takes inputs and outputs (or keyword arguments "
                                f"only), got {len(args)} positional argument(s)")
            allowed = {"trainable", "dtype", "dynamic", "name", "autocast"}
            for kw in kwargs:
                if kw not in allowed:
                    raise TypeError(f"Keyword argument not understood: {kw}")
            Layer.__init__(self, **kwargs)
            self._init_model_state()

    def _init_model_state(self):
        self._is_graph_network = False
        self.inputs = None
        self.outputs = None
        self.input_names = None
        self.output_names = None
        self.stop_training = False
        self.history = None
        self._is_compiled = False

    # -- graph networks ------------------------------------------------------------------------
    def _init_graph_network(self, inputs, outputs):
        _graph().init_graph_network(self, inputs, outputs)

    def _run_internal_graph(self, inputs, training=None, mask=None, symbolic=False):
        return _graph().run_internal_graph(self, inputs, symbolic=symbolic)

    def _infer_output_spec(self, inputs, args, kwargs):
        if self._is_graph_network and not args and set(kwargs) <= {"training", "mask"}:
            return self._run_internal_graph(inputs, symbolic=True)
        return super()._infer_output_spec(inputs, args, kwargs)

    def call(self, inputs, training=None, mask=None):
        if self._is_graph_network:
            return self._run_internal_graph(inputs, training=training, mask=mask)
        raise NotImplementedError("When subclassing the `Model` class, you should implement a "
                                  "`call` method.")

    @_default
    def build(self, input_shape):
        """Create the weights of a subclassed model by running it on zeros of `input_shape`
        (a shape with None for the batch, or a list of shapes)."""
        if self._is_graph_network:
            Layer.build(self, input_shape)
            return
        if input_shape is None:
            raise ValueError("Input shape must be defined when calling build on a model subclass "
                             "network.")
        if not isinstance(input_shape, (tuple, list, TensorShape, dict)):
            raise ValueError("Specified input shape is not one of the valid types. Please specify "
                             "a batch input shape of type tuple or list of input shapes. User "
                             f"provided input type: {type(input_shape)}")

        def spec(s):
            return KerasTensor(TensorShape(s), self._compute_dtype_object)
        if isinstance(input_shape, dict):
            specs = {k: spec(v) for k, v in input_shape.items()}
        elif isinstance(input_shape, list) and input_shape and is_nested(input_shape[0]) or \
                (isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], TensorShape)):
            specs = [spec(s) for s in input_shape]
        else:
            specs = spec(input_shape)
        try:
            self._infer_by_running(specs, (), {})
        except (_core.InvalidArgumentError, TypeError) as e:
            raise ValueError("You cannot build your model by calling `build` if your layers do not "
                             "support float type inputs. Instead, in order to instantiate and build "
                             "your model, `call` your model on real tensor data (of the correct "
                             f"dtype). ({e})") from e
        Layer.build(self, input_shape)

    # -- layers ----------------------------------------------------------------------------------
    def _direct_sublayers(self):
        if self._is_graph_network:
            extra = [l for l in self._tracked_sublayers() if not any(l is g for g in self._graph_layers)]
            return list(self._graph_layers) + extra
        return self._tracked_sublayers()

    @property
    def layers(self):
        if self._is_graph_network:
            return list(self._graph_layers)
        return self._tracked_sublayers()

    def get_layer(self, name=None, index=None):
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}.")
        raise ValueError("Provide either a layer name or layer index.")

    # -- weights (model order: layer by layer) ------------------------------------------------
    def _assert_weights_created(self):
        if self.dynamic:
            return
        if "build" in type(self).__dict__ and type(self) is not Model and not self.built:
            raise ValueError(f"Weights for model {self.name} have not yet been created. Weights are "
                             "created when the Model is first called on inputs or `build()` is "
                             "called with an `input_shape`.")

    @property
    def trainable_weights(self):
        self._assert_weights_created()
        if not self._trainable:
            return []
        weights = []
        for layer in self._direct_sublayers():
            weights += layer.trainable_weights
        weights += self._trainable_weights
        return _dedup(weights)

    @property
    def non_trainable_weights(self):
        self._assert_weights_created()
        subs = self._direct_sublayers()
        non_trainable = []
        for layer in subs:
            non_trainable += layer.non_trainable_weights
        if not self._trainable:
            trainable = []
            for layer in subs:
                trainable += layer.trainable_weights
            weights = trainable + self._trainable_weights + non_trainable + self._non_trainable_weights
        else:
            weights = non_trainable + self._non_trainable_weights
        return _dedup(weights)

    @property
    def weights(self):
        self._assert_weights_created()
        weights = []
        for layer in self._direct_sublayers():
            weights += layer.weights
        weights += self._trainable_weights + self._non_trainable_weights
        return _dedup(weights)

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    # -- inputs / outputs --------------------------------------------------------------------
    @property
    def input(self):
        if self._is_graph_network:
            return self._nested_inputs
        return super().input

    @property
    def output(self):
        if self._is_graph_network:
            return self._nested_outputs
        return super().output

    @property
    def input_shape(self):
        if self._is_graph_network:
            return map_structure(_int_shape, self.input)
        return super().input_shape

    @property
    def output_shape(self):
        if self._is_graph_network:
            return map_structure(_int_shape, self.output)
        return super().output_shape

    # -- summary / config ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print (or pass to print_fn line by line) the table of layers, output shapes and
        parameter counts, in tf.keras 2.5's layout."""
        if not self.built:
            raise ValueError(_NOT_BUILT)
        from ..utils.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self):
        if self._is_graph_network:
            return _graph().get_network_config(self)
        raise NotImplementedError

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            inputs, outputs, layers = _graph().reconstruct_from_config(config, custom_objects)
            model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
            return model
        return cls(**config)

    def to_json(self, **kwargs):
        import json
        from .. import __version__
        config = {"class_name": type(self).__name__, "config": self.get_config(),
                  "keras_version": __version__, "backend": "tensorflow"}
        return json.dumps(config, default=_json_default, **kwargs)

    # -- saving (minikeras.saving) ------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None,
             signatures=None, options=None, save_traces=True):
        """Save the model to '.h5' / '.hdf5' (tf.keras 2.x) or '.keras' (Keras 3 zip)."""
        from ..saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format, signatures=signatures, options=options,
                   save_traces=save_traces)

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None):
        """Save the weights to '.h5' / '.hdf5' (tf.keras 2.x layout) or '.weights.h5'."""
        from ..saving import save_weights
        save_weights(self, filepath, overwrite=overwrite, save_format=save_format,
                     options=options)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, options=None):
        """Load weights saved by save_weights (or a full '.h5' / '.keras' model file)."""
        from ..saving import load_weights
        return load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                            options=options)


def _json_default(obj):
    if isinstance(obj, TensorShape):
        return obj.as_list()
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, _dt.DType):
        return obj.name
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "value": obj.decode("utf-8")}
    raise TypeError(f"Not JSON Serializable: {obj!r}")


def _int_shape(x):
    return tuple(x.shape.as_list()) if x.shape.rank is not None else None
