"""A small offline gazetteer: the places the Places and Stadia time-zone APIs of the tool world know.

Rounded coordinates and populations of large cities (public geographic facts), each with its IANA time
zone. The time-zone API answers with the zone of the nearest place, which is right on land near these
cities and wrong far from them: the simulation is meant to be plausible, not a geocoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """One place of the gazetteer."""

    name: str
    country: str  # ISO-3166 alpha-2
    lat: float
    lon: float
    timezone: str
    population: int


def _p(name: str, country: str, lat: float, lon: float, tz: str, pop: int) -> Place:
    return Place(name, country, lat, lon, tz, pop)


PLACES: tuple[Place, ...] = (
    _p("London", "GB", 51.5074, -0.1278, "Europe/London", 8_982_000),
    _p("Manchester", "GB", 53.4808, -2.2426, "Europe/London", 553_000),
    _p("Paris", "FR", 48.8566, 2.3522, "Europe/Paris", 2_161_000),
    _p("Berlin", "DE", 52.52, 13.405, "Europe/Berlin", 3_645_000),
    _p("Munich", "DE", 48.1351, 11.582, "Europe/Berlin", 1_472_000),
    _p("Madrid", "ES", 40.4168, -3.7038, "Europe/Madrid", 3_223_000),
    _p("Barcelona", "ES", 41.3874, 2.1686, "Europe/Madrid", 1_620_000),
    _p("Rome", "IT", 41.9028, 12.4964, "Europe/Rome", 2_873_000),
    _p("Milan", "IT", 45.4642, 9.19, "Europe/Rome", 1_352_000),
    _p("Amsterdam", "NL", 52.3676, 4.9041, "Europe/Amsterdam", 872_000),
    _p("Brussels", "BE", 50.8503, 4.3517, "Europe/Brussels", 1_209_000),
    _p("Vienna", "AT", 48.2082, 16.3738, "Europe/Vienna", 1_897_000),
    _p("Zurich", "CH", 47.3769, 8.5417, "Europe/Zurich", 421_000),
    _p("Stockholm", "SE", 59.3293, 18.0686, "Europe/Stockholm", 975_000),
    _p("Oslo", "NO", 59.9139, 10.7522, "Europe/Oslo", 697_000),
    _p("Helsinki", "FI", 60.1699, 24.9384, "Europe/Helsinki", 656_000),
    _p("Warsaw", "PL", 52.2297, 21.0122, "Europe/Warsaw", 1_790_000),
    _p("Prague", "CZ", 50.0755, 14.4378, "Europe/Prague", 1_309_000),
    _p("Athens", "GR", 37.9838, 23.7275, "Europe/Athens", 664_000),
    _p("Lisbon", "PT", 38.7223, -9.1393, "Europe/Lisbon", 505_000),
    _p("Dublin", "IE", 53.3498, -6.2603, "Europe/Dublin", 554_000),
    _p("Istanbul", "TR", 41.0082, 28.9784, "Europe/Istanbul", 15_460_000),
    _p("Moscow", "RU", 55.7558, 37.6173, "Europe/Moscow", 12_506_000),
    _p("Saint Petersburg", "RU", 59.9311, 30.3609, "Europe/Moscow", 5_384_000),
    _p("Novosibirsk", "RU", 55.0084, 82.9357, "Asia/Novosibirsk", 1_625_000),
    _p("Kyiv", "UA", 50.4501, 30.5234, "Europe/Kyiv", 2_884_000),
    _p("Cairo", "EG", 30.0444, 31.2357, "Africa/Cairo", 9_540_000),
    _p("Lagos", "NG", 6.5244, 3.3792, "Africa/Lagos", 14_862_000),
    _p("Nairobi", "KE", -1.2921, 36.8219, "Africa/Nairobi", 4_397_000),
    _p("Johannesburg", "ZA", -26.2041, 28.0473, "Africa/Johannesburg", 5_635_000),
    _p("Cape Town", "ZA", -33.9249, 18.4241, "Africa/Johannesburg", 4_618_000),
    _p("Dubai", "AE", 25.2048, 55.2708, "Asia/Dubai", 3_331_000),
    _p("Tehran", "IR", 35.6892, 51.389, "Asia/Tehran", 8_694_000),
    _p("Mumbai", "IN", 19.076, 72.8777, "Asia/Kolkata", 12_442_000),
    _p("New Delhi", "IN", 28.6139, 77.209, "Asia/Kolkata", 16_787_000),
    _p("Bangalore", "IN", 12.9716, 77.5946, "Asia/Kolkata", 8_443_000),
    _p("Kathmandu", "NP", 27.7172, 85.324, "Asia/Kathmandu", 1_442_000),
    _p("Bangkok", "TH", 13.7563, 100.5018, "Asia/Bangkok", 10_539_000),
    _p("Singapore", "SG", 1.3521, 103.8198, "Asia/Singapore", 5_686_000),
    _p("Jakarta", "ID", -6.2088, 106.8456, "Asia/Jakarta", 10_562_000),
    _p("Hong Kong", "HK", 22.3193, 114.1694, "Asia/Hong_Kong", 7_482_000),
    _p("Beijing", "CN", 39.9042, 116.4074, "Asia/Shanghai", 21_540_000),
    _p("Shanghai", "CN", 31.2304, 121.4737, "Asia/Shanghai", 24_870_000),
    _p("Seoul", "KR", 37.5665, 126.978, "Asia/Seoul", 9_776_000),
    _p("Tokyo", "JP", 35.6762, 139.6503, "Asia/Tokyo", 13_960_000),
    _p("Osaka", "JP", 34.6937, 135.5023, "Asia/Tokyo", 2_691_000),
    _p("Manila", "PH", 14.5995, 120.9842, "Asia/Manila", 1_780_000),
    _p("Sydney", "AU", -33.8688, 151.2093, "Australia/Sydney", 5_312_000),
    _p("Melbourne", "AU", -37.8136, 144.9631, "Australia/Melbourne", 5_078_000),
    _p("Perth", "AU", -31.9505, 115.8605, "Australia/Perth", 2_085_000),
    _p("Auckland", "NZ", -36.8485, 174.7633, "Pacific/Auckland", 1_657_000),
    _p("Honolulu", "US", 21.3069, -157.8583, "Pacific/Honolulu", 345_000),
    _p("Anchorage", "US", 61.2181, -149.9003, "America/Anchorage", 291_000),
    _p("Los Angeles", "US", 34.0522, -118.2437, "America/Los_Angeles", 3_898_000),
    _p("San Francisco", "US", 37.7749, -122.4194, "America/Los_Angeles", 815_000),
    _p("Seattle", "US", 47.6062, -122.3321, "America/Los_Angeles", 737_000),
    _p("Denver", "US", 39.7392, -104.9903, "America/Denver", 715_000),
    _p("Phoenix", "US", 33.4484, -112.074, "America/Phoenix", 1_608_000),
    _p("Chicago", "US", 41.8781, -87.6298, "America/Chicago", 2_746_000),
    _p("Houston", "US", 29.7604, -95.3698, "America/Chicago", 2_304_000),
    _p("New York", "US", 40.7128, -74.006, "America/New_York", 8_804_000),
    _p("Boston", "US", 42.3601, -71.0589, "America/New_York", 675_000),
    _p("Miami", "US", 25.7617, -80.1918, "America/New_York", 442_000),
    _p("Washington", "US", 38.9072, -77.0369, "America/New_York", 690_000),
    _p("Toronto", "CA", 43.6532, -79.3832, "America/Toronto", 2_794_000),
    _p("Vancouver", "CA", 49.2827, -123.1207, "America/Vancouver", 662_000),
    _p("Montreal", "CA", 45.5017, -73.5673, "America/Toronto", 1_763_000),
    _p("Mexico City", "MX", 19.4326, -99.1332, "America/Mexico_City", 9_209_000),
    _p("Bogota", "CO", 4.711, -74.0721, "America/Bogota", 7_181_000),
    _p("Lima", "PE", -12.0464, -77.0428, "America/Lima", 9_752_000),
    _p("Santiago", "CL", -33.4489, -70.6693, "America/Santiago", 6_310_000),
    _p("Buenos Aires", "AR", -34.6037, -58.3816, "America/Argentina/Buenos_Aires", 3_075_000),
    _p("Sao Paulo", "BR", -23.5505, -46.6333, "America/Sao_Paulo", 12_325_000),
    _p("Rio de Janeiro", "BR", -22.9068, -43.1729, "America/Sao_Paulo", 6_748_000),
    _p("Reykjavik", "IS", 64.1466, -21.9426, "Atlantic/Reykjavik", 131_000),
)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def nearest(lat: float, lon: float) -> tuple[Place, float]:
    """The gazetteer's place nearest to a point, and its distance in km."""
    best = min(PLACES, key=lambda p: distance_km(lat, lon, p.lat, p.lon))
    return best, distance_km(lat, lon, best.lat, best.lon)
