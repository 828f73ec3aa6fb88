"""kbsim: simulate how GNU make 4.3 and Linux kbuild decide what to rebuild."""

__version__ = "0.1.0"
