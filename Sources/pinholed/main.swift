print("pinholed")
