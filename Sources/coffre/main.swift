print("coffre: not built yet")
