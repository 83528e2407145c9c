//! Terraform's IP network functions (`cidrhost`, `cidrsubnet`, ...).
//! Addresses are held as u128 with the family's width so IPv4 and IPv6 share
//! one implementation.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{arity_error, at_least, int, invalid, one_arg, string, three_args, two_args, FnError};
use crate::model::Value;

pub(super) fn cidrnetmask(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let c = Cidr::parse(name, &string(name, one_arg(name, a)?)?)?;
    if c.v6 {
        return Err(invalid(name, "only IPv4 networks are supported"));
    }
    Ok(Value::String(c.format_addr(net_mask(c.plen, c.width()))))
}

struct Cidr {
    v6: bool,
    /// The network address (host bits cleared).
    addr: u128,
    plen: u32,
}

impl Cidr {
    fn parse(name: &str, s: &str) -> Result<Cidr, FnError> {
        let net: ipnet::IpNet = s
            .parse()
            .map_err(|_| invalid(name, format!("invalid CIDR expression {s:?}")))?;
        let net = net.trunc();
        Ok(match net {
            ipnet::IpNet::V4(n) => Cidr {
                v6: false,
                addr: u32::from(n.addr()) as u128,
                plen: n.prefix_len() as u32,
            },
            ipnet::IpNet::V6(n) => Cidr {
                v6: true,
                addr: u128::from(n.addr()),
                plen: n.prefix_len() as u32,
            },
        })
    }

    fn width(&self) -> u32 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    fn format_addr(&self, addr: u128) -> String {
        if self.v6 {
            Ipv6Addr::from(addr).to_string()
        } else {
            Ipv4Addr::from((addr & u32::MAX as u128) as u32).to_string()
        }
    }
}

fn all_ones(width: u32) -> u128 {
    u128::MAX.checked_shr(128 - width.min(128)).unwrap_or(0)
}

fn host_mask(plen: u32, width: u32) -> u128 {
    all_ones(width.saturating_sub(plen))
}

fn net_mask(plen: u32, width: u32) -> u128 {
    all_ones(width) & !host_mask(plen, width)
}

pub(super) fn cidrhost(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (prefix, host) = two_args(name, a)?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let host = int(name, host)?;
    let max = host_mask(c.plen, c.width());
    let too_big = || {
        invalid(
            name,
            format!(
                "prefix of {} does not accommodate a host numbered {host}",
                c.plen
            ),
        )
    };
    // Negative host numbers count back from the end, -1 being the last.
    let offset = if host >= 0 {
        host as u128
    } else {
        let back = host.unsigned_abs() as u128 - 1;
        max.checked_sub(back).ok_or_else(too_big)?
    };
    if offset > max {
        return Err(too_big());
    }
    Ok(Value::String(c.format_addr(c.addr | offset)))
}

pub(super) fn cidrsubnet(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (prefix, newbits, netnum) = three_args(name, a)?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let (newbits, netnum) = (int(name, newbits)?, int(name, netnum)?);
    if newbits < 0 {
        return Err(invalid(name, "newbits must not be negative"));
    }
    if netnum < 0 {
        return Err(invalid(name, "netnum must not be negative"));
    }
    let new_plen = c.plen as i64 + newbits;
    if new_plen > c.width() as i64 {
        return Err(invalid(
            name,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                c.plen
            ),
        ));
    }
    let netnum = netnum as u128;
    if netnum > all_ones(newbits as u32) {
        return Err(invalid(
            name,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ),
        ));
    }
    let shift = c.width() - new_plen as u32;
    let addr = c.addr | netnum.checked_shl(shift).unwrap_or(0);
    Ok(Value::String(format!("{}/{new_plen}", c.format_addr(addr))))
}

/// Consecutive subnets of the given sizes, following go-cidr's
/// PreviousSubnet/NextSubnet walk so alignment gaps match Terraform.
pub(super) fn cidrsubnets(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let (prefix, sizes) = a
        .split_first()
        .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let width = c.width();
    let ones = all_ones(width);
    let mut last = c.addr.wrapping_sub(1) & ones;
    let mut out = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let bits = int(name, size)?;
        if bits < 1 {
            return Err(invalid(
                name,
                format!("argument {}: must extend prefix by at least one bit", i + 2),
            ));
        }
        let plen = c.plen as i64 + bits;
        if plen > width as i64 {
            return Err(invalid(
                name,
                format!("argument {}: would extend prefix to {plen} bits, which is too long for an IPv{} address", i + 2, if c.v6 { 6 } else { 4 }),
            ));
        }
        let plen = plen as u32;
        let mask = net_mask(plen, width);
        let next = (((last & mask) | host_mask(plen, width)).wrapping_add(1)) & ones;
        let next = next & mask;
        // A wrap to address zero means the previous subnet was the last one
        // (the first subnet of 0.0.0.0/n legitimately starts at zero).
        let rolled_over = next == 0 && !(i == 0 && c.addr == 0);
        if rolled_over || next & net_mask(c.plen, width) != c.addr {
            return Err(invalid(
                name,
                format!("not enough remaining address space for a subnet with a prefix of {plen} bits after {}", out.last().and_then(Value::as_str).unwrap_or(&c.format_addr(c.addr))),
            ));
        }
        last = next | host_mask(plen, width);
        out.push(Value::String(format!("{}/{plen}", c.format_addr(next))));
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, ls, n, ok, s};

    #[test]
    fn cidrsubnet() {
        assert_eq!(
            ok("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)]),
            s("172.18.0.0/16")
        );
        assert_eq!(
            ok("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)]),
            s("10.1.2.240/28")
        );
        assert_eq!(
            ok(
                "cidrsubnet",
                vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
            ),
            s("fd00:fd12:3456:7800:a200::/72")
        );
        assert!(err("cidrsubnet", vec![s("10.0.0.0/24"), n(4.0), n(16.0)])
            .contains("does not accommodate"));
        assert!(err("cidrsubnet", vec![s("10.0.0.0/24"), n(9.0), n(0.0)]).contains("insufficient"));
        assert!(err("cidrsubnet", vec![s("nope"), n(1.0), n(0.0)]).contains("invalid CIDR"));
    }

    #[test]
    fn cidrsubnets() {
        assert_eq!(
            ok(
                "cidrsubnets",
                vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
            ),
            ls(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ])
        );
        assert_eq!(
            ok(
                "cidrsubnets",
                vec![
                    s("fd00:fd12:3456:7890::/56"),
                    n(16.0),
                    n(16.0),
                    n(16.0),
                    n(32.0)
                ]
            ),
            ls(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88"
            ])
        );
        assert!(err(
            "cidrsubnets",
            vec![s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)]
        )
        .contains("not enough"));
    }

    #[test]
    fn cidrhost() {
        assert_eq!(
            ok("cidrhost", vec![s("10.12.112.0/20"), n(16.0)]),
            s("10.12.112.16")
        );
        assert_eq!(
            ok("cidrhost", vec![s("10.12.112.0/20"), n(268.0)]),
            s("10.12.113.12")
        );
        assert_eq!(
            ok(
                "cidrhost",
                vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]
            ),
            s("fd00:fd12:3456:7890::22")
        );
        assert_eq!(
            ok("cidrhost", vec![s("10.0.0.0/24"), n(-1.0)]),
            s("10.0.0.255")
        );
        assert!(err("cidrhost", vec![s("10.0.0.0/24"), n(256.0)]).contains("does not accommodate"));
        assert!(err("cidrhost", vec![s("10.0.0.0/24"), n(-257.0)]).contains("does not accommodate"));
    }

    #[test]
    fn cidrnetmask() {
        assert_eq!(
            ok("cidrnetmask", vec![s("172.16.0.0/12")]),
            s("255.240.0.0")
        );
        assert_eq!(ok("cidrnetmask", vec![s("0.0.0.0/0")]), s("0.0.0.0"));
        assert!(err("cidrnetmask", vec![s("fd00::/8")]).contains("IPv4"));
    }
}
