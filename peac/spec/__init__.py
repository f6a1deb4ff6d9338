"""Budget and Scenario files: loading, models, compiling into a Plan, JSON Schema export."""
