"""Helpers of `manage.py bench`: side-by-side performance ratios (scale-performance-security B.8)."""
