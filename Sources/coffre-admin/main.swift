print("coffre-admin: not built yet")
