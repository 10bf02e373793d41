"""Permission predicates of the evaluation cycle and its policy versions."""
import rules

from institutions.rules import is_city_admin, is_city_staff

rules.add_perm("evaluations.view_policyversion", is_city_staff)
rules.add_perm("evaluations.manage_policy", is_city_admin)
