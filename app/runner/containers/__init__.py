"""Milestones in containers on this machine: podman, the images, the compose profiles."""
