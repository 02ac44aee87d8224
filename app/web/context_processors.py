from django.conf import settings
from django.http import HttpRequest


def tier(request: HttpRequest) -> dict[str, str]:
    """The running tier, shown in the footer so a screenshot says which milestone it came from."""
    return {"tier": settings.TIER}
