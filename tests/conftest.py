import os
import sys

# run against the in-place build in python/ (make test installs it editable too)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
