"""Signals accounts sends so that later apps can act on its events without accounts importing them."""

from django.dispatch import Signal

# Sent once, by onboarding_complete inside its transaction, with ``organization`` and
# ``actor``: later apps turn the accepted steps into their own records. A receiver that
# raises rolls the completion back, so the business is never left half set up.
onboarding_completed = Signal()
