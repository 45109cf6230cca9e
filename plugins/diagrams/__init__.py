from .diagrams import register as register
