"""Artwork drawn from a layout alone.

The blank form, its guilloche, the draft and final marks, the QR code and the
printer calibration sheet: nothing here depends on a certificate's data
beyond the QR code's payload.
"""
