#pragma once
// Geo-blocking by country from a MaxMind-format database (libmaxminddb): deny-by-country, or
// allow-only-countries (then a source the database does not place is refused too). The
// database is memory-mapped; reload() reopens it when the file changed (the guard calls it
// from its sweep), so operators replace the file and Rampart follows within seconds. A
// database that cannot be opened keeps the previous one (or, at start, refuses nothing) and
// is reported.
//   rampart_cp_geo_reloads_total{result}   ok | failed
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <boost/asio/ip/address.hpp>

#include <rampart/platform/config.h>

namespace rampart::cp::security {

class GeoFilter {
 public:
  GeoFilter(const platform::GeoSettings& settings, prometheus::Registry& registry);
  ~GeoFilter();

  bool enabled() const { return !settings_.database.empty(); }
  /// True when `source` must be refused (its country denied, or not allowed).
  bool refuses(const boost::asio::ip::address& source) const;
  /// The same against other lists (a realm's): deny these, or (allow non-empty) only those.
  bool refuses(const boost::asio::ip::address& source, const std::vector<std::string>& deny,
               const std::vector<std::string>& allow) const;
  /// The ISO 3166 country code the database gives `source`, "" when none.
  std::string country(const boost::asio::ip::address& source) const;
  /// Reopens the database when its file changed (or was never opened). @return true when a
  /// new database is in use.
  bool reload();

 private:
  struct Db;
  const platform::GeoSettings& settings_;
  std::unique_ptr<Db> db_;
  std::time_t loaded_mtime_ = 0;
  prometheus::Counter* reload_ok_;
  prometheus::Counter* reload_failed_;
};

}  // namespace rampart::cp::security
