"""What users send: text normalisation, names and slugs, uploaded images."""
