#include "security/geo_filter.h"

#include <maxminddb.h>
#include <sys/stat.h>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <cstring>

#include <rampart/platform/log.h>

namespace rampart::cp::security {

struct GeoFilter::Db {
  MMDB_s mmdb{};
  ~Db() { MMDB_close(&mmdb); }
};

GeoFilter::GeoFilter(const platform::GeoSettings& settings, prometheus::Registry& registry)
    : settings_(settings) {
  auto& family = prometheus::BuildCounter()
                     .Name("rampart_cp_geo_reloads_total")
                     .Help("Geo database (re)loads, by result")
                     .Register(registry);
  reload_ok_ = &family.Add({{"result", "ok"}});
  reload_failed_ = &family.Add({{"result", "failed"}});
  if (enabled()) {
    reload();
  }
}

GeoFilter::~GeoFilter() = default;

bool GeoFilter::reload() {
  struct stat st {};
  if (!enabled() || stat(settings_.database.c_str(), &st) != 0) {
    return false;
  }
  if (db_ && st.st_mtime == loaded_mtime_) {
    return false;
  }
  auto db = std::make_unique<Db>();
  int rc = MMDB_open(settings_.database.c_str(), MMDB_MODE_MMAP, &db->mmdb);
  if (rc != MMDB_SUCCESS) {
    db->mmdb = MMDB_s{};          // nothing to close
    loaded_mtime_ = st.st_mtime;  // not retried until the file changes again
    reload_failed_->Increment();
    RAMPART_LOG(platform::LogLevel::Warn, "security", "geo database %s: %s",
                settings_.database.c_str(), MMDB_strerror(rc));
    return false;
  }
  db_ = std::move(db);
  loaded_mtime_ = st.st_mtime;
  reload_ok_->Increment();
  RAMPART_LOG(platform::LogLevel::Info, "security", "geo database %s loaded",
              settings_.database.c_str());
  return true;
}

std::string GeoFilter::country(const boost::asio::ip::address& source) const {
  if (!db_) {
    return "";
  }
  // A v4-mapped source (dual-stack socket) is looked up as the IPv4 address it is.
  boost::asio::ip::address a = source;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  boost::asio::ip::tcp::endpoint ep(a, 0);
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db_->mmdb, ep.data(), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !r.found_entry) {
    return "";
  }
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&r.entry, &data, "country", "iso_code", nullptr) != MMDB_SUCCESS ||
      !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return "";
  }
  return std::string(data.utf8_string, data.data_size);
}

bool GeoFilter::refuses(const boost::asio::ip::address& source) const {
  return refuses(source, settings_.deny_countries, settings_.allow_countries);
}

bool GeoFilter::refuses(const boost::asio::ip::address& source,
                        const std::vector<std::string>& deny,
                        const std::vector<std::string>& allow) const {
  if (!db_ || (deny.empty() && allow.empty())) {
    return false;
  }
  std::string cc = country(source);
  auto listed = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), cc) != list.end();
  };
  if (!allow.empty()) {
    return cc.empty() || !listed(allow);
  }
  return !cc.empty() && listed(deny);
}

}  // namespace rampart::cp::security
