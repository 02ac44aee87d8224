"""Settings profiles: ``tier0`` … ``tier4``. Each ``tierN`` imports ``tier{N-1}`` and adds its milestone."""
