# IP network functions.
locals {
  network_cidrhost          = cidrhost("10.12.112.0/20", 16)
  network_cidrhost_neg      = cidrhost("10.12.112.0/20", -2)
  network_cidrhost_v6       = cidrhost("fd00:fd12:3456:7890::/56", 16)
  network_cidrnetmask       = cidrnetmask("172.16.0.0/12")
  network_cidrnetmask_32    = cidrnetmask("10.0.0.1/32")
  network_cidrsubnet        = cidrsubnet("172.16.0.0/12", 4, 2)
  network_cidrsubnet_big    = cidrsubnet("10.1.2.0/24", 4, 15)
  network_cidrsubnet_v6     = cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)
  network_cidrsubnet_v4in6  = cidrsubnet("10.0.0.0/8", 8, 255)
  network_cidrsubnets       = cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)
  network_cidrsubnets_v6    = cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)
  network_cidrhost_host_bits = cidrhost("192.168.1.77/24", 5)
  network_for_subnets       = [for i in range(3) : cidrsubnet("10.0.0.0/16", 8, i)]
  network_cidrhost_zero      = cidrhost("10.0.0.0/32", 0)
  network_cidrnetmask_zero   = cidrnetmask("0.0.0.0/0")
  network_cidrsubnet_zero    = cidrsubnet("10.0.0.0/16", 0, 0)
  network_cidrsubnets_empty  = cidrsubnets("10.0.0.0/16")
  network_cidrhost_v6_big    = cidrhost("2001:db8::/32", 4294967295)
  network_cidrsubnet_v6_64   = cidrsubnet("2001:db8::/32", 32, 1)
  network_cidrnetmask_24     = cidrnetmask("192.168.0.0/24")
}
