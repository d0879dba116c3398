"""Carriers behind one adapter (SPEC §3): JD Logistics and SF Express over their open APIs, and a
simulator that stands in for both in development and tests. `carrier_for(code)` picks the
backend the settings name."""

from orders.carriers.base import (
    Carrier,
    CarrierError,
    Party,
    ShipmentRequest,
    TrackingContext,
    TrackingUpdate,
    carrier_for,
    is_online,
    valid_waybill,
)

__all__ = ["Carrier", "CarrierError", "Party", "ShipmentRequest", "TrackingContext", "TrackingUpdate",
           "carrier_for", "is_online", "valid_waybill"]
